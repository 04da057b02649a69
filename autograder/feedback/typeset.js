// Typeset the TeX of an HTML page into SVG, so that the page needs no MathJax (and no
// network) to show its formulas: reads the page on stdin, writes it on stdout.
// Uses MathJax 3 (npm package mathjax-full) the way MathJax's own node examples do.
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const adaptor = liteAdaptor();
  RegisterHTMLHandler(adaptor);
  const html = mathjax.document(Buffer.concat(chunks).toString("utf8"), {
    InputJax: new TeX({
      packages: AllPackages,
      inlineMath: [["$", "$"], ["\\(", "\\)"]],
      displayMath: [["$$", "$$"], ["\\[", "\\]"]],
      processEscapes: true,
      processEnvironments: true,
    }),
    // "local": each formula carries its own glyphs, so any part of the page stands alone
    OutputJax: new SVG({ fontCache: "local" }),
  });
  html.render();
  if (Array.from(html.math).length === 0) {
    adaptor.remove(html.outputJax.svgStyles);
  }
  process.stdout.write(adaptor.doctype(html.document) + "\n");
  process.stdout.write(adaptor.outerHTML(adaptor.root(html.document)));
});
