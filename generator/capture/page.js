// Where the page shows any of `values` (the secrets typed with `${NAME}`): the client
// rectangles, in CSS pixels of the viewport, of each text that contains one and of each
// form field whose value does (password fields show dots, not the value). guidesmith
// checks every rectangle is under a redaction before it keeps a screenshot.
(values) => {
  const rects = [];
  const add = (r) => {
    if (r.width > 0 && r.height > 0) rects.push([r.left, r.top, r.right, r.bottom]);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const value of values) {
      for (let at = node.data.indexOf(value); at >= 0; at = node.data.indexOf(value, at + 1)) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + value.length);
        for (const r of range.getClientRects()) add(r);
      }
    }
  }
  for (const field of document.querySelectorAll("input, textarea")) {
    if (field.type === "password" || field.type === "hidden") continue;
    if (values.some((value) => field.value.includes(value))) add(field.getBoundingClientRect());
  }
  return rects;
}
