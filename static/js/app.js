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
    showGridWork();
  });

  // On a narrow screen the day grid scrolls sideways: start it at the first flight (or now), not at dawn.
  // Only when the page opens, so a refresh never moves what someone is looking at.
  function showGridWork() {
    var scroller = document.querySelector(".grid-scroll");
    if (!scroller || scroller.scrollWidth <= scroller.clientWidth) return;
    var mark = scroller.querySelector(".grid-now") || scroller.querySelector(".grid-block");
    var name = scroller.querySelector(".grid-name");
    if (!mark) return;
    var offset = mark.getBoundingClientRect().left - scroller.getBoundingClientRect().left;
    scroller.scrollLeft += offset - (name ? name.offsetWidth : 0) - 24;
  }
})();
