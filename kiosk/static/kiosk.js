// The kiosk screen: renders what the agent pushes over the WebSocket (see kiosk/screen.py).
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;
let state = null;
let resultTimer = null;
// One entry per result, with the time it was on screen: the bench and tests read this.
window.kioskResults = [];

function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const whole = Math.abs(fen);
  return `${sign}${Math.floor(whole / 100)}.${String(whole % 100).padStart(2, "0")}`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function head(text) {
  const node = element("div", "result-head");
  node.append(element("span", "mark"), element("span", "", text));
  return node;
}

function show(viewId) {
  for (const id of ["idle", "balance-prompt", "result"]) $(id).hidden = id !== viewId;
  const balanceMode = state && state.mode === "balance";
  $("balance-button").hidden = balanceMode;
  $("back-button").hidden = !(balanceMode && viewId === "balance-prompt");
}

function showIdle() {
  resultTimer = null;
  show(state && state.mode === "balance" ? "balance-prompt" : "idle");
}

function renderState(next) {
  const firstState = state === null;
  const askedForBalance = next.mode === "balance" && !(state && state.mode === "balance");
  state = next;
  if (askedForBalance) {  // the diner touched 查询余额: a result still shown gives way
    clearTimeout(resultTimer);
    resultTimer = null;
  }
  $("canteen").textContent = state.canteen || "食堂消费终端";
  $("offline-banner").hidden = !state.offline;
  const period = state.period;
  $("period-name").textContent = period ? period.name : "";
  $("period-price").textContent = period && period.price_fen !== null ? `${yuan(period.price_fen)} 元` : "";
  if (!state.fixed_price) {
    $("prompt").textContent = "本机未设置为定额消费，请联系食堂工作人员";
  } else if (state.canteen && !period) {
    $("prompt").textContent = "现在不是就餐时间";
  } else {
    $("prompt").textContent = "请刷卡或出示付款码";
  }
  if (resultTimer) show("result");
  else showIdle();
  if (firstState) tick();
}

function paidView(result) {
  const nodes = [head(result.offline ? "支付成功（脱机）" : "支付成功")];
  if (result.name) nodes.push(element("div", "who", `${result.name}　${result.period || ""}`));
  nodes.push(element("div", "amount", `${yuan(result.amount_fen)} 元`));
  if (result.offline) {
    nodes.push(element("div", "note", "网络恢复后自动入账，余额稍后更新"));
  } else {
    nodes.push(element("div", "detail", `餐补 ${yuan(result.subsidy_fen)} 元　·　现金 ${yuan(result.cash_fen)} 元`));
    nodes.push(element("div", "detail",
      `余额：现金 ${yuan(result.balance.cash_fen)} 元　餐补 ${yuan(result.balance.subsidy_fen)} 元`));
  }
  return nodes;
}

function balanceView(result) {
  const nodes = [head("余额"), element("div", "who", result.name)];
  nodes.push(element("div", "amount", `${yuan(result.balance.cash_fen + result.balance.subsidy_fen)} 元`));
  nodes.push(element("div", "detail",
    `现金 ${yuan(result.balance.cash_fen)} 元　·　餐补 ${yuan(result.balance.subsidy_fen)} 元`));
  if (result.balance.overdraft_owed_fen > 0) {
    nodes.push(element("div", "note", `待还脱机欠款 ${yuan(result.balance.overdraft_owed_fen)} 元，充值时自动归还`));
  }
  return nodes;
}

function renderResult(result) {
  const view = $("result");
  view.className = `view ${result.kind}`;
  view.dataset.kind = result.kind;
  if (result.kind === "paid") view.replaceChildren(...paidView(result));
  else if (result.kind === "balance") view.replaceChildren(...balanceView(result));
  else view.replaceChildren(head("未能支付"), element("div", "reason", result.message));
  show("result");
  clearTimeout(resultTimer);
  resultTimer = setTimeout(showIdle, (state ? state.result_seconds : 4) * 1000);
  // Recorded after the frame that draws the result.
  requestAnimationFrame(() => setTimeout(() => {
    window.kioskResults.push({ kind: result.kind, at: performance.now() });
  }, 0));
}

function send(message) {
  if (socket) socket.send(JSON.stringify(message));
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onopen = () => {
    socket = ws;
    document.body.classList.remove("disconnected");
  };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "state") renderState(message);
    else if (message.type === "result") renderResult(message);
  };
  ws.onclose = () => {
    socket = null;
    document.body.classList.add("disconnected");
    setTimeout(connect, 1000);
  };
}

function tick() {
  // The canteen's time, which the meal periods are in, whatever zone the screen's computer is set to.
  const zone = state ? state.time_zone : undefined;
  $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

$("balance-button").addEventListener("click", () => send({ type: "balance_mode" }));
$("back-button").addEventListener("click", () => send({ type: "pay_mode" }));
tick();
setInterval(tick, 1000);
connect();
