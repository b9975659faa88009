// Compile Pyodide's 10 MB WebAssembly module as soon as its URL is known, while the loader, the
// snapshot and the wheels load, instead of when loadPyodide gets to it: on a warm visit the
// compile (~0.5 s) used to start only once the snapshot had been read.
//
// Pyodide instantiates its module itself, in settings.instantiateWasm, after adding two imports
// of its own; so the wrapper below lets it do exactly that and only swaps the one
// WebAssembly.instantiateStreaming call it makes for an instantiation of the module compiled here.
// If the early compile failed, Pyodide's own streaming compile runs as before.
//
// Pyodide's loader also fetches the module itself, when it builds its settings (before it calls
// createPyodideModule): a second 10 MB download, never read, which on a cold visit is not yet in
// the HTTP cache, and which WebKit passes through the page's main thread. withoutSecondFetch
// answers that one fetch with an empty stand-in while the early module is there.
//
// pyodide.mjs also compiles a tiny module of its own (jsverror.wasm) as it loads, and awaits it
// before instantiating. In Firefox an asynchronous compile waits behind the big module's
// background compilation (its optimising tier), so that compile of a few hundred bytes held every
// warm boot ~0.1 s after the 10 MB module was ready. withSmallCompilesAtOnce compiles it at once.

/** Start compiling; resolves to the WebAssembly.Module, or null if it could not be compiled. */
export function compileEarly(url) {
  const compiled = WebAssembly.compileStreaming(fetch(url, { credentials: "same-origin" }));
  return compiled.catch((error) => { console.warn("early WebAssembly compile failed:", error); return null; });
}

/** createPyodideModule, made to instantiate the early-compiled module. */
export function withEarlyModule(createPyodideModule, compiled) {
  return (settings) => {
    const instantiate = settings.instantiateWasm;
    if (instantiate) settings.instantiateWasm = (imports, done) => {
      const streaming = WebAssembly.instantiateStreaming;
      WebAssembly.instantiateStreaming = async (response, withImports) => {
        WebAssembly.instantiateStreaming = streaming; // one call: Pyodide's, for its main module
        const module = await compiled;
        if (!module) return streaming(response, withImports);
        return { module, instance: await WebAssembly.instantiate(module, withImports) };
      };
      return instantiate(imports, done);
    };
    return createPyodideModule(settings);
  };
}

/**
 * Run load() (a loadPyodide call whose createPyodideModule is withEarlyModule's) with the loader's
 * own fetch of `url` answered by an empty stand-in when the early compile succeeded (the swapped
 * instantiateStreaming never reads it), or by the network when it failed.
 */
export async function withoutSecondFetch(url, compiled, load) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = function fetchOnce(resource, init) {
    const target = resource instanceof Request ? resource.url : String(resource);
    if (target !== url) return realFetch.call(this, resource, init);
    globalThis.fetch = realFetch;
    return compiled.then((module) => (module
      ? new Response(new Uint8Array(0), { headers: { "Content-Type": "application/wasm" } })
      : realFetch.call(this, resource, init)));
  };
  try {
    return await load();
  } finally {
    if (globalThis.fetch !== realFetch) globalThis.fetch = realFetch; // never asked for (an error before)
  }
}

/**
 * Run load() (the import of pyodide.mjs) with WebAssembly.compile compiling modules of at most
 * `limit` bytes at once, on this thread, rather than queued behind larger compilations; larger
 * ones, and anything that is not a buffer, go to the engine's compile as before.
 */
export async function withSmallCompilesAtOnce(load, limit = 64 * 1024) {
  const compile = WebAssembly.compile;
  WebAssembly.compile = function compileSmallAtOnce(bytes, ...rest) {
    if (!(bytes?.byteLength <= limit)) return compile.call(this, bytes, ...rest);
    try {
      return Promise.resolve(new WebAssembly.Module(bytes, ...rest));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  try {
    return await load();
  } finally {
    WebAssembly.compile = compile;
  }
}
