// The broadcast composer's live counter (no inline scripts: CSP script-src 'self'). It counts with console.js's port
// of gateway/messaging/sms_text.py: French accents and typographic punctuation are transliterated first (as the outbox
// does); GSM-7 counts the extension table twice, 160 characters in one segment, 153 a part when longer; a character
// outside GSM-7 makes the whole SMS UCS-2, 70 and 67. It is only a help while typing: the server's preview (htmx)
// is authoritative, and the sending checks everything again.
(function () {
  "use strict";
  // The counting rules are console.js's (loaded before this script on every page).
  var sms = window.gatewayConsole;

  // Characters that stay outside GSM-7 even after transliteration: they force UCS-2 (whole code points).
  function forcing(text) {
    var seen = [];
    Array.from(text).forEach(function (ch) {
      if (!sms.isGsm7(sms.transliterate(ch)) && seen.indexOf(ch) < 0) { seen.push(ch); }
    });
    return seen;
  }

  // Counted as the composer sends it: line ends as \n, the text trimmed.
  function countSegments(raw) { return sms.countSegments(raw.replace(/\r\n?/g, "\n").trim()); }

  function show(area, output) {
    var count = countSegments(area.value);
    var label = count.encoding === "GSM-7" ? output.getAttribute("data-label-gsm") : output.getAttribute("data-label-ucs");
    var text = label + " · " + count.units + " " + output.getAttribute("data-label-chars") + " · " +
      count.segments + " " + output.getAttribute("data-label-segments");
    var odd = forcing(area.value);
    if (odd.length) { text += " · " + output.getAttribute("data-label-forcing") + " " + odd.join(" "); }
    output.textContent = text;
    output.setAttribute("data-segments", String(count.segments));
    output.setAttribute("data-encoding", count.encoding);
    var max = parseInt(output.getAttribute("data-max") || "0", 10);
    output.classList.toggle("over", max > 0 && count.segments > max);
  }

  function wire() {
    var area = document.querySelector("textarea[data-counter]");
    if (!area) { return; }
    var output = document.getElementById(area.getAttribute("data-counter"));
    if (!output) { return; }
    area.addEventListener("input", function () { show(area, output); });
    show(area, output);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wire); } else { wire(); }
})();
