// The test LMS: scorm-again's real runtime as window.API (1.2) or window.API_1484_11 (2004), with a
// record of what the content set and when it committed. start() frames the package's launch page
// (at a given size), or shows a button that opens it in a new window, as an LMS's "new window"
// display option does (browsers open windows on a click only).
window.lms = { sets: [], commits: 0, finished: false };

window.start = function start({ version, launch, resume, popup = false, size = null }) {
  const settings = { autocommit: false, logLevel: 5 };
  const api = version === "2004" ? new Scorm2004API(settings) : new Scorm12API(settings);
  if (resume) {
    api.loadFromJSON(version === "2004" ? { entry: "resume", suspend_data: resume }
      : { core: { entry: "resume" }, suspend_data: resume });
  }
  const names = version === "2004" ? { set: "SetValue", commit: "Commit", finish: "Terminate" }
    : { set: "LMSSetValue", commit: "LMSCommit", finish: "LMSFinish" };
  api.on(`${names.set}.cmi.*`, (element, value) => window.lms.sets.push([element, String(value)]));
  api.on(names.commit, () => { window.lms.commits += 1; });
  api.on(names.finish, () => { window.lms.finished = true; });
  window[version === "2004" ? "API_1484_11" : "API"] = api;
  window.lms.api = api;
  if (popup) {
    const button = Object.assign(document.createElement("button"), { id: "launch", type: "button", textContent: "Enter" });
    button.addEventListener("click", () => { window.lms.content = window.open(launch, "scorm_object"); });
    document.getElementById("scorm_content").append(button);
    return true;
  }
  const frame = Object.assign(document.createElement("iframe"), { id: "scorm_object", name: "scorm_object", src: launch,
    title: "Activity" });
  frame.setAttribute("allowfullscreen", "");
  if (size) Object.assign(frame.style, { width: `${size.width}px`, height: `${size.height}px` });
  document.getElementById("scorm_content").append(frame);
  window.lms.content = frame.contentWindow;
  return true;
};

/** The values the content set for `element`, in order. */
window.lms.values = (element) => window.lms.sets.filter(([e]) => e === element).map(([, v]) => v);
