// Small behaviours the server-rendered pages need; everything works without them, only slower.
(function () {
  "use strict";

  // A free slot fills the start time and says so, so keyboard and screen-reader users know it took.
  document.addEventListener("click", function (event) {
    var slot = event.target.closest("button.slot");
    if (!slot) return;
    var input = document.getElementById("id_start_time");
    if (!input) return;
    input.value = slot.dataset.startTime;
    document.querySelectorAll("button.slot[aria-pressed]").forEach(function (other) {
      other.setAttribute("aria-pressed", "false");
    });
    slot.setAttribute("aria-pressed", "true");
    var status = document.getElementById("slot-status");
    if (status) status.textContent = "Start time set to " + slot.dataset.startTime + ".";
  });

  // After a failed submit, take focus to the error summary so it is read first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-box[tabindex='-1']");
    if (summary) summary.focus();
  });
})();
