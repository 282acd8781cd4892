// The broadcast composer's live counter (no inline scripts: CSP script-src 'self'). It ports the rules of
// gateway/messaging/sms_text.py: French accents and typographic punctuation are transliterated first (as the outbox
// does); GSM-7 counts the extension table twice, 160 characters in one segment, 153 a part when longer; a character
// outside GSM-7 makes the whole SMS UCS-2, 70 and 67. It is only a help while typing: the server's preview (htmx)
// is authoritative, and the sending checks everything again.
(function () {
  "use strict";
  var GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENDED = "^{}\\[~]|€\f";
  var FRENCH = {
    "â": "a", "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "ÿ": "y", "ç": "c",
    "œ": "oe", "Œ": "OE", "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I",
    "Ô": "O", "Ù": "U", "Û": "U", "Ÿ": "Y", "’": "'", "‘": "'", "´": "'", "«": "\"", "»": "\"",
    "“": "\"", "”": "\"", "…": "...", "–": "-", "—": "-", "\u00a0": " ", "\u202f": " "
  };

  function inGsm7(ch) { return GSM7_BASIC.indexOf(ch) >= 0 || GSM7_EXTENDED.indexOf(ch) >= 0; }

  function isGsm7(text) {
    for (var i = 0; i < text.length; i++) { if (!inGsm7(text.charAt(i))) { return false; } }
    return true;
  }

  function transliterate(ch) { return Object.prototype.hasOwnProperty.call(FRENCH, ch) ? FRENCH[ch] : ch; }

  function toGsm7(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) { out += transliterate(text.charAt(i)); }
    return isGsm7(out) ? out : text;
  }

  // Characters that stay outside GSM-7 even after transliteration: they force UCS-2 (whole code points).
  function forcing(text) {
    var seen = [];
    Array.from(text).forEach(function (ch) {
      if (!isGsm7(transliterate(ch)) && seen.indexOf(ch) < 0) { seen.push(ch); }
    });
    return seen;
  }

  function countSegments(raw) {
    var text = toGsm7(raw.replace(/\r\n?/g, "\n").trim());
    var units, single, part, gsm = isGsm7(text);
    if (gsm) {
      units = 0;
      for (var i = 0; i < text.length; i++) { units += GSM7_EXTENDED.indexOf(text.charAt(i)) >= 0 ? 2 : 1; }
      single = 160; part = 153;
    } else {
      units = text.length; // UTF-16 code units, like UCS-2 on the air
      single = 70; part = 67;
    }
    var segments = units <= single ? 1 : Math.ceil(units / part);
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: Math.max(segments, 1) };
  }

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
