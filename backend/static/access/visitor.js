// The visitor's pass QR (/v/visit/<code>): the server signs the token afresh each minute, so the
// inline SVG is replaced from data-src every `data-refresh-in` seconds (the answer's X-Refresh-In
// says when to come next). A visit that can no longer show a pass reloads the page, which then
// says why in words.
"use strict";

(() => {
  const box = document.getElementById("pass-qr");
  if (!box) {
    return;
  }
  const note = document.getElementById("pass-note");
  const RETRY_SECONDS = 15;

  function later(seconds) {
    const wait = Math.min(Math.max(Number(seconds) || 60, 1), 300);
    window.setTimeout(refresh, wait * 1000 + 300);
  }

  function stamp() {
    const time = new Date().toLocaleTimeString("zh-CN", { hour12: false });
    note.textContent = `通行码每分钟自动更新（${time} 已更新），截图转发无效`;
  }

  async function refresh() {
    let response;
    try {
      response = await fetch(box.dataset.src, { credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      box.classList.add("stale");
      note.textContent = "网络不通，通行码暂未更新，正在重试…";
      later(RETRY_SECONDS);
      return;
    }
    if (response.status === 401 || response.status === 409 || response.status === 404) {
      window.location.reload();
      return;
    }
    if (!response.ok) {
      box.classList.add("stale");
      note.textContent = "通行码暂未更新，正在重试…";
      later(RETRY_SECONDS);
      return;
    }
    const markup = await response.text();
    const parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    const svg = parsed.documentElement;
    if (!svg || svg.nodeName !== "svg") {
      later(RETRY_SECONDS);
      return;
    }
    box.replaceChildren(document.importNode(svg, true));
    box.classList.remove("stale");
    stamp();
    later(response.headers.get("X-Refresh-In"));
  }

  later(box.dataset.refreshIn);
})();
