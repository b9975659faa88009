// Firefox for the Python test driver (firefox.py): puppeteer-core drives Debian's Firefox ESR over
// WebDriver BiDi (no geckodriver, no patched browser). One JSON request per stdin line,
// {id, op, ...args}; one JSON answer per stdout line, {id, value} or {id, error}.
//
// Handles: contexts (separate profiles: storage, cache) and pages are numbered here; Python only
// ever sees the numbers. Page errors are collected per page until Python asks for them.
// Bounds come from Python (timeoutMs): the launch's, and each page load's.
import puppeteer from "puppeteer-core";
import { createInterface } from "node:readline";

const [executablePath, downloadDir] = process.argv.slice(2);
const contexts = new Map();
const pages = new Map();
let nextHandle = 1;
let browser = null;

const keep = (map, value) => { const handle = nextHandle++; map.set(handle, value); return handle; };
const page = (handle) => {
  const found = pages.get(handle);
  if (!found) throw new Error(`no page ${handle}`);
  return found.page;
};

const ops = {
  async launch({ timeoutMs, prefs = {} }) {
    browser = await puppeteer.launch({
      browser: "firefox", executablePath, headless: true, timeout: timeoutMs,
      // Grading waits can be long on a loaded machine; the Python side owns every other timeout.
      protocolTimeout: 0,
      extraPrefsFirefox: {
        "browser.download.dir": downloadDir, "browser.download.folderList": 2,
        "browser.download.useDownloadDir": true, "browser.download.always_ask_before_handling_new_types": false,
        "browser.download.start_downloads_in_tmp_dir": false,
        ...prefs,
      },
    });
    return browser.version();
  },
  async newContext() { return keep(contexts, await browser.createBrowserContext()); },
  async closeContext({ context }) { await contexts.get(context)?.close(); contexts.delete(context); },
  async newPage({ context }) {
    const created = await contexts.get(context).newPage();
    const record = { page: created, errors: [] };
    created.on("pageerror", (error) => record.errors.push(String(error?.message ?? error)));
    created.on("dialog", (dialog) => dialog.accept()); // never left blocking the page
    return keep(pages, record);
  },
  async closePage({ page: handle }) { await pages.get(handle)?.page.close(); pages.delete(handle); },
  async goto({ page: handle, url, timeoutMs }) { await page(handle).goto(url, { waitUntil: "load", timeout: timeoutMs }); },
  async reload({ page: handle, timeoutMs }) { await page(handle).reload({ waitUntil: "load", timeout: timeoutMs }); },
  // expression: built by base.py, it resolves to JSON text (the same for every engine's driver).
  async evaluate({ page: handle, expression }) { return page(handle).evaluate(expression); },
  async click({ page: handle, selector }) { await page(handle).click(selector); },
  async press({ page: handle, keys }) {
    const keyboard = page(handle).keyboard, parts = keys.split("+");
    for (const key of parts.slice(0, -1)) await keyboard.down(key);
    await keyboard.press(parts.at(-1));
    for (const key of parts.slice(0, -1).reverse()) await keyboard.up(key);
  },
  async setFiles({ page: handle, selector, path }) {
    const input = await page(handle).$(selector);
    if (!input) throw new Error(`no element matches ${selector}`);
    await input.uploadFile(path);
  },
  async setViewport({ page: handle, width, height }) { await page(handle).setViewport({ width, height }); },
  async errors({ page: handle }) { return pages.get(handle)?.errors ?? []; },
  async close() { await browser?.close(); browser = null; },
};

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { id, op, ...args } = JSON.parse(line);
  let answer;
  try {
    answer = { id, value: (await ops[op](args)) ?? null };
  } catch (error) {
    answer = { id, error: String(error?.message ?? error), timeout: error?.name === "TimeoutError" };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
  if (op === "close") process.exit(0);
});
lines.on("close", () => browser?.close().finally(() => process.exit(0)));
