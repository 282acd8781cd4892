// The console's own behaviour (no inline scripts: CSP script-src 'self'): a segment counter under the reply box,
// counted like gateway/messaging/sms_text.py (French accents transliterated first, as the outbox does), and
// ready-made replies that fill the box.
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

  function isGsm7(text) {
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (GSM7_BASIC.indexOf(ch) < 0 && GSM7_EXTENDED.indexOf(ch) < 0) { return false; }
    }
    return true;
  }

  function transliterate(ch) { return Object.prototype.hasOwnProperty.call(FRENCH, ch) ? FRENCH[ch] : ch; }

  function toGsm7(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) { out += transliterate(text.charAt(i)); }
    return isGsm7(out) ? out : text;
  }

  // {encoding, units, segments} as sms_text.count_segments answers.
  function countSegments(raw) {
    var text = toGsm7(raw.replace(/\r\n/g, "\n"));
    var units, single, part, gsm = isGsm7(text);
    if (gsm) {
      units = 0;
      for (var i = 0; i < text.length; i++) { units += GSM7_EXTENDED.indexOf(text.charAt(i)) >= 0 ? 2 : 1; }
      single = 160; part = 153;
    } else {
      units = text.length; // JavaScript strings are UTF-16 code units, like UCS-2 on the air
      single = 70; part = 67;
    }
    var segments = units <= single ? 1 : Math.ceil(units / part);
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: Math.max(segments, 1) };
  }

  function showCount(area) {
    var output = document.getElementById(area.getAttribute("data-segments"));
    if (!output) { return; }
    var count = countSegments(area.value);
    var label = count.encoding === "GSM-7" ? output.getAttribute("data-label-gsm") : output.getAttribute("data-label-ucs");
    output.textContent = label + " · " + count.units + " · " + count.segments + " " + output.getAttribute("data-label-segments");
    output.setAttribute("data-segments", String(count.segments));
    output.setAttribute("data-encoding", count.encoding);
  }

  function wire() {
    var areas = document.querySelectorAll("textarea[data-segments]");
    Array.prototype.forEach.call(areas, function (area) {
      area.addEventListener("input", function () { showCount(area); });
      showCount(area);
    });
    var pickers = document.querySelectorAll("select[data-fills]");
    Array.prototype.forEach.call(pickers, function (picker) {
      picker.addEventListener("change", function () {
        var option = picker.options[picker.selectedIndex];
        var target = document.getElementById(picker.getAttribute("data-fills"));
        if (target && option && option.getAttribute("data-text")) {
          target.value = option.getAttribute("data-text");
          target.dispatchEvent(new Event("input"));
        }
      });
    });
  }

  // For the pages' own scripts (static/broadcasts.js), loaded after this one on every console page.
  window.gatewayConsole = { countSegments: countSegments, isGsm7: isGsm7, transliterate: transliterate };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
