/* Keyboard care for the screenshot lightbox (mkdocs-glightbox, which names its instance
   `lightbox`): opened from a focused screenshot, focus moves to its Close button, so
   Escape, Enter and Tab act in the dialog; closed, focus returns to the screenshot that
   opened it, so a keyboard reader goes on from where they were. */
(function () {
  "use strict";
  if (typeof lightbox === "undefined" || typeof lightbox.on !== "function") {
    return;
  }
  var opener = null;
  lightbox.on("open", function () {
    opener = document.activeElement;
    var close = document.querySelector(".glightbox-container .gclose");
    if (close) {
      close.focus();
    }
  });
  lightbox.on("close", function () {
    if (opener && typeof opener.focus === "function" && document.contains(opener)) {
      opener.focus();
    }
    opener = null;
  });
})();
