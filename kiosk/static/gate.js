// The gate screen: renders what the gate agent pushes over the WebSocket (see kiosk/gate_agent.py).
// Idle: the gate's name and 请扫码或刷卡; a decision: the greeting, or the reason in words, for
// result_seconds; a banner when offline and another, for staff, when the gate relay is at fault.
"use strict";

const $ = (id) => document.getElementById(id);
let state = null;
let resultTimer = null;
// Each decision drawn, with when (performance.now()): tests and the bench read it.
window.gateResults = [];

const RELAY_FAULT = "闸机控制器故障，闸门可能无法打开，请工作人员检查";

function showOnly(id) {
  for (const view of ["idle", "allowed", "refused"]) $(view).hidden = view !== id;
}

function renderState(message) {
  state = message;
  $("gate-name").textContent = message.gate || "门禁终端";
  $("offline-banner").hidden = !message.offline;
  const relay = message.relay || {};
  const faulty = relay.state && relay.state !== "ok";
  $("fault-banner").hidden = !faulty;
  $("fault-banner").textContent = faulty ? RELAY_FAULT : "";
  $("mode-line").textContent = message.offline ? "脱机核验：通行记录将在网络恢复后上传" : "";
}

function renderResult(result) {
  if (result.allowed) {
    const greeting = result.greeting || {};
    $("greeting-name").textContent = greeting.name ? `${greeting.name}，您好` : "";
    $("greeting-host").textContent = greeting.host ? `被访人：${greeting.host}` : "";
    $("greeting-people").textContent = greeting.people > 1 ? `共 ${greeting.people} 人` : "";
    showOnly("allowed");
  } else {
    $("refused-message").textContent = result.message;
    showOnly("refused");
  }
  clearTimeout(resultTimer);
  resultTimer = setTimeout(() => showOnly("idle"), ((state && state.result_seconds) || 4) * 1000);
  requestAnimationFrame(() => setTimeout(() => {
    window.gateResults.push({ allowed: result.allowed, reason: result.reason, at: performance.now() });
  }, 0));
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onopen = () => document.body.classList.remove("disconnected");
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "state") renderState(message);
    else if (message.type === "result") renderResult(message);
  };
  ws.onclose = () => {
    document.body.classList.add("disconnected");
    setTimeout(connect, 1000);
  };
}

function tick() {
  $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

showOnly("idle");
tick();
setInterval(tick, 1000);
connect();
