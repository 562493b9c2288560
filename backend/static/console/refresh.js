// Pages that keep themselves current (the dashboard, the repairs board). The element with
// data-refresh="<seconds>" turns it on: every so often the page is fetched again at its own
// address, so its filters stay, and each [data-refresh-region] is replaced by the fresh copy
// with the same id. Forms are never swapped, and nothing is swapped while a form field has the
// focus or holds input not yet submitted (a checked box, a half-typed note): the stamp says the
// page is paused instead. "立即更新" asks at once.
"use strict";

(() => {
  const root = document.querySelector("[data-refresh]");
  if (!root) {
    return;
  }
  const seconds = Math.max(10, Number(root.dataset.refresh) || 60);
  let unsaved = false;

  function inForm(element) {
    return Boolean(element && element !== document.body && (element.form || element.closest("form")));
  }

  function busy() {
    return unsaved || inForm(document.activeElement);
  }

  function say(text, paused) {
    document.querySelectorAll("[data-refresh-note]").forEach((note) => {
      note.textContent = text;
      note.closest(".refresh-stamp")?.classList.toggle("paused", paused);
    });
  }

  async function refresh(forced) {
    if (busy() && !forced) {
      say("有未提交的输入，已暂停自动更新", true);
      return;
    }
    let fresh;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok || response.redirected) {
        throw new Error(`refresh answered ${response.status}`);
      }
      fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      say("自动更新失败，稍后再试", true);
      return;
    }
    if (busy() && !forced) {
      say("有未提交的输入，已暂停自动更新", true);
      return;
    }
    document.querySelectorAll("[data-refresh-region]").forEach((old) => {
      const next = fresh.getElementById(old.id);
      if (next) {
        old.dispatchEvent(new CustomEvent("console:replacing", { bubbles: true }));
        old.replaceWith(next);
        next.dispatchEvent(new CustomEvent("console:refreshed", { bubbles: true }));
      }
    });
    unsaved = false;
    say("", false);
  }

  const markUnsaved = (event) => {
    if (inForm(event.target)) {
      unsaved = true;
    }
  };
  document.addEventListener("input", markUnsaved);
  document.addEventListener("change", markUnsaved);
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-refresh-now]")) {
      refresh(true);
    }
  });
  // A page in a background tab asks nothing of the server; it catches up when shown again.
  let missed = false;
  window.setInterval(() => {
    if (document.hidden) {
      missed = true;
    } else {
      refresh(false);
    }
  }, seconds * 1000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && missed) {
      missed = false;
      refresh(false);
    }
  });
})();
