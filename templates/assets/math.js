// The TeX of a note's $…$ and $$…$$ (in its body, its questions and angles, and on the pages
// that list those), which the build keeps as written, typeset by KaTeX as
// MathML (drawn by the browser itself: no style sheet, no fonts, no inline style). A formula
// KaTeX cannot read stays as written.
(function () {
  "use strict";
  if (typeof katex === "undefined") return;
  document.querySelectorAll("main .math").forEach(function (el) {
    var tex = el.textContent;
    try {
      katex.render(tex, el, {
        output: "mathml",
        displayMode: el.classList.contains("block"),
        throwOnError: true,
        trust: false,
      });
      el.classList.add("typeset");
    } catch (err) {
      el.textContent = tex;
      el.title = String(err.message || err);
    }
  });
})();
