// Starts the problem page's PythonRunner: it adopts the worker python-early.js started in the
// page's <head> (or starts one itself, if that script did not run) and is shared by app.js.

import { PythonRunner } from "./pyclient.js";

const early = globalThis.staticjudgeEarlyWorker ?? null;
delete globalThis.staticjudgeEarlyWorker;
export const python = new PythonRunner({ workerUrl: new URL("./pyworker.js", import.meta.url), early });
// Known from the page itself, so Python starts loading them before problem.json arrives.
const packages = document.querySelector("script[data-packages]")?.dataset.packages ?? "";
python.setPackages(packages.split(" ").filter(Boolean));
