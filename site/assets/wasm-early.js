// Compile Pyodide's 10 MB WebAssembly module as soon as its URL is known, while the loader, the
// snapshot and the wheels load, instead of when loadPyodide gets to it: on a warm visit the
// compile (~0.5 s) used to start only once the snapshot had been read.
//
// Pyodide instantiates its module itself, in settings.instantiateWasm, after adding two imports
// of its own; so the wrapper below lets it do exactly that and only swaps the one
// WebAssembly.instantiateStreaming call it makes for an instantiation of the module compiled here.
// If the early compile failed, Pyodide's own streaming compile runs as before.

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
