// The kiosk screen: renders what the agent pushes over the WebSocket (see kiosk/screen.py).
// A free-amount terminal shows a keypad, a menu terminal its dishes: what is keyed or chosen is
// sent on 确认 and checked again by the agent, which then waits for the tap that pays it.
"use strict";

const $ = (id) => document.getElementById(id);
const VIEWS = ["idle", "keypad", "menu", "waiting", "balance-prompt", "pickup-prompt", "pickup-order", "result"];
const MAX_QUANTITY = 20;
const ENTRY_IDLE_MS = 60_000;  // keys or dishes left untouched this long are cleared
let socket = null;
let state = null;
let resultTimer = null;
let typed = "";  // the amount as keyed, in yuan: digits, at most one point and two decimals
const cart = new Map();  // dish id -> quantity
let lastTouch = 0;
let orderShown = null;  // the number of the order on screen
let pickupOrder = null;  // pickup mode: the shop order a scan named, shown for 确认交付
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

// ---- which view -----------------------------------------------------------------------------

function fixedPrice() {
  return !state || state.terminal_mode === "fixed_price" || state.terminal_mode === undefined;
}

function idleView() {
  if (!state) return "idle";
  if (state.mode === "balance") return "balance-prompt";
  if (state.mode === "pickup") return pickupOrder ? "pickup-order" : "pickup-prompt";
  if (fixedPrice() || state.offline || !state.canteen || !state.period) return "idle";
  if (state.order) return "waiting";
  if (state.terminal_mode === "free_amount") return "keypad";
  if (state.terminal_mode === "menu" && state.menu && state.menu.dishes.length) return "menu";
  return "idle";
}

function show(viewId) {
  for (const id of VIEWS) $(id).hidden = id !== viewId;
  document.body.classList.toggle("entry-open", viewId === "keypad" || viewId === "menu");
  const balanceMode = state && state.mode === "balance";
  const pickupMode = state && state.mode === "pickup";
  $("balance-button").hidden = balanceMode || pickupMode;
  $("back-button").hidden = !(balanceMode && viewId === "balance-prompt");
  $("pickup-button").hidden = balanceMode || pickupMode;
  $("pickup-back").hidden = !pickupMode;
}

function showIdle() {
  resultTimer = null;
  show(idleView());
}

function idlePrompt() {
  const period = state.period;
  if (state.canteen && !period) return "现在不是就餐时间";
  if (fixedPrice()) return "请刷卡或出示付款码";
  if (state.offline) return "网络中断，本机只能联网收款，请稍后再试";
  if (state.terminal_mode === "menu") return state.menu ? "本餐暂无可选菜品" : "菜单加载中，请稍候…";
  return "请刷卡或出示付款码";
}

function renderState(next) {
  const firstState = state === null;
  const askedForBalance = next.mode === "balance" && !(state && state.mode === "balance");
  state = next;
  if (state.mode !== "pickup") pickupOrder = null;
  if (askedForBalance) {  // the diner touched 查询余额: a result still shown gives way
    clearTimeout(resultTimer);
    resultTimer = null;
  }
  $("canteen").textContent = state.canteen || "食堂消费终端";
  $("offline-banner").hidden = !state.offline;
  $("offline-banner").textContent = fixedPrice() ? "网络中断 · 脱机收款中（仅限刷卡）" : "网络中断 · 本机暂停收款";
  const period = state.period;
  $("period-name").textContent = period ? period.name : "";
  const showPrice = fixedPrice() && period && period.price_fen !== null;
  $("period-price").textContent = showPrice ? `${yuan(period.price_fen)} 元` : "";
  $("other-prices").textContent = fixedPrice() && period && period.other_prices
    ? period.other_prices.map((p) => `${p.category} ${yuan(p.price_fen)} 元`).join("　") : "";
  $("prompt").textContent = idlePrompt();
  $("keypad-period").textContent = period ? period.name : "";
  $("keypad-limit").textContent = `单笔最多 ${yuan(maxFen())} 元`;
  if (state.order && state.order.number !== orderShown) {
    typed = "";  // what was keyed or chosen is the agent's order now
    cart.clear();
    setError("");
  }
  orderShown = state.order ? state.order.number : null;
  renderKeyed();
  if (state.menu) renderMenu();
  if (state.order) renderWaiting();
  if (resultTimer) show("result");
  else showIdle();
  if (firstState) tick();
}

// ---- free amount: the keypad ----------------------------------------------------------------

function maxFen() {
  return state && state.max_amount_fen ? state.max_amount_fen : 1_000_000;
}

function keyedFen(text) {
  if (!text) return 0;
  const [whole, decimals = ""] = text.split(".");
  return Number(whole || "0") * 100 + Number((decimals + "00").slice(0, 2));
}

function setError(message) {
  $("keypad-error").textContent = message;
  $("menu-error").textContent = message;
}

function renderKeyed() {
  $("keyed").textContent = `${typed || "0"} 元`;
  $("keyed").dataset.empty = String(!typed);
}

function press(key) {
  lastTouch = Date.now();
  setError("");
  if (key === "clear") {
    typed = "";
  } else if (key === "back") {
    typed = typed.slice(0, -1);
  } else if (key === ".") {
    if (!typed.includes(".")) typed = `${typed || "0"}.`;
  } else {
    const [whole, decimals] = typed.split(".");
    if (decimals !== undefined && decimals.length >= 2) return;
    const next = decimals === undefined && whole === "0" ? key : typed + key;  // no leading zeros
    if (keyedFen(next) > maxFen()) {
      setError(`单笔最多 ${yuan(maxFen())} 元`);
      return;
    }
    typed = next;
  }
  renderKeyed();
}

function confirmAmount() {
  lastTouch = Date.now();
  const text = typed.endsWith(".") ? typed.slice(0, -1) : typed;
  const fen = keyedFen(text);
  if (fen < 1) setError("请输入金额");
  else if (fen > maxFen()) setError(`单笔最多 ${yuan(maxFen())} 元`);
  else send({ type: "amount", yuan: text });
}

// ---- menu: dishes, quantities, total --------------------------------------------------------

function onSale(id) {
  return state && state.menu ? state.menu.dishes.find((d) => d.id === id && d.available) : undefined;
}

function cartTotal() {
  let total = 0;
  for (const [id, quantity] of cart) {
    const dish = onSale(id);
    if (dish) total += dish.price_fen * quantity;
  }
  return total;
}

function renderMenu() {
  for (const id of [...cart.keys()]) if (!onSale(id)) cart.delete(id);  // taken off the menu meanwhile
  $("menu-period").textContent = state.menu.period || "";
  $("menu-note").textContent = state.menu.published ? "" : "（今日菜单未发布，显示全部菜品）";
  const scrolled = $("dishes").scrollTop;
  $("dishes").replaceChildren(...state.menu.dishes.map((dish) => {
    const button = element("button", cart.has(dish.id) ? "dish chosen" : "dish");
    button.type = "button";
    button.dataset.dishId = String(dish.id);
    button.disabled = !dish.available;
    button.append(element("span", "dish-name", dish.name),
      element("span", "dish-price", dish.available ? `${yuan(dish.price_fen)} 元` : "已下架"));
    if (cart.has(dish.id)) button.append(element("span", "qty", String(cart.get(dish.id))));
    return button;
  }));
  $("dishes").scrollTop = scrolled;
  const lines = [...cart].map(([id, quantity]) => {
    const line = element("li");
    line.dataset.dishId = String(id);
    const less = element("button", "less", "−");
    const more = element("button", "more", "+");
    less.type = more.type = "button";
    line.append(element("span", "line-name", onSale(id).name), less, element("span", "line-qty", String(quantity)), more);
    return line;
  });
  $("cart-lines").replaceChildren(...(lines.length ? lines : [element("li", "cart-empty", "点击左侧菜品添加")]));
  $("cart-total").textContent = yuan(cartTotal());
}

function changeQuantity(id, delta) {
  lastTouch = Date.now();
  setError("");
  const quantity = (cart.get(id) || 0) + delta;
  if (quantity > MAX_QUANTITY) {
    setError(`每道菜最多 ${MAX_QUANTITY} 份`);
    return;
  }
  if (delta > 0 && cartTotal() + onSale(id).price_fen > maxFen()) {
    setError(`单笔最多 ${yuan(maxFen())} 元`);
    return;
  }
  if (quantity <= 0) cart.delete(id);
  else cart.set(id, quantity);
  renderMenu();
}

function confirmDishes() {
  lastTouch = Date.now();
  if (!cart.size) {
    setError("请选择菜品");
    return;
  }
  send({ type: "items", items: [...cart].map(([id, quantity]) => ({ dish_id: id, quantity })) });
}

// ---- an order waiting for a tap -------------------------------------------------------------

function renderWaiting() {
  const order = state.order;
  $("waiting-amount").textContent = `${yuan(order.total_fen)} 元`;
  $("waiting-lines").textContent = order.lines.map((l) => `${l.name} × ${l.quantity}`).join("　");
  renderCountdown();
}

function renderCountdown() {
  if (!state || !state.order) return;
  const left = Math.ceil((state.order.expires_at_ms - Date.now()) / 1000);
  $("waiting-left").textContent = `${Math.max(0, Math.min(left, state.order.seconds))} 秒后自动取消`;
}

// ---- results --------------------------------------------------------------------------------

function paidView(result) {
  const nodes = [head(result.offline ? "支付成功（脱机）" : "支付成功")];
  if (result.name) nodes.push(element("div", "who", `${result.name}　${result.period || ""}`));
  nodes.push(element("div", "amount", `${yuan(result.amount_fen)} 元`));
  if (result.offline) {
    const categories = { contractor: "外包人员价", visitor: "访客价" };
    const priced = categories[result.category] ? `${result.period}　${categories[result.category]}　·　` : "";
    nodes.push(element("div", "note", `${priced}网络恢复后自动入账，余额稍后更新`));
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
  const notice = result.code === "kiosk.order_required";  // nothing was tried: a prompt, not a failure
  view.className = `view ${notice ? "notice" : result.kind}`;
  view.dataset.kind = result.kind;
  view.dataset.code = result.code || "";
  if (result.kind === "paid") view.replaceChildren(...paidView(result));
  else if (result.kind === "balance") view.replaceChildren(...balanceView(result));
  else view.replaceChildren(head(notice ? "尚未收款" : "未能支付"), element("div", "reason", result.message));
  show("result");
  clearTimeout(resultTimer);
  resultTimer = setTimeout(showIdle, (state ? state.result_seconds : 4) * 1000);
  // Recorded after the frame that draws the result.
  requestAnimationFrame(() => setTimeout(() => {
    window.kioskResults.push({ kind: result.kind, at: performance.now() });
  }, 0));
}

// ---- pickup mode ----------------------------------------------------------------------------

function renderPickupOrder(order) {
  clearTimeout(resultTimer);
  resultTimer = null;
  pickupOrder = order;
  $("pickup-name").textContent = order.person_name;
  $("pickup-state").textContent = order.state_label;
  $("pickup-state").dataset.state = order.state;
  $("pickup-number").textContent = `订单 ${order.order_no}　取货日 ${order.pickup_day}`;
  $("pickup-lines").replaceChildren(...order.lines.map((line) => {
    const item = element("li");
    item.append(element("span", "line-name", `${line.product_name}　${line.spec}`),
      element("span", "line-qty", `× ${line.quantity}`));
    return item;
  }));
  $("pickup-refusal").textContent = order.can_hand_over ? "" : order.refusal;
  $("pickup-confirm").hidden = !order.can_hand_over;
  $("pickup-cancel").textContent = order.can_hand_over ? "取消" : "返回";
  show("pickup-order");
}

const PICKUP_HEADS = { handed_over: "已交付", already: "已取过货", refused: "不能交付" };

function renderPickupResult(result) {
  pickupOrder = null;
  const view = $("result");
  view.className = `view ${{ handed_over: "paid", already: "notice", refused: "refused" }[result.kind]}`;
  view.dataset.kind = result.kind;
  view.dataset.code = "";
  view.replaceChildren(head(PICKUP_HEADS[result.kind]), element("div", "reason", result.message));
  show("result");
  clearTimeout(resultTimer);
  resultTimer = setTimeout(showIdle, (state ? state.result_seconds : 4) * 1000);
  requestAnimationFrame(() => setTimeout(() => {
    window.kioskResults.push({ kind: result.kind, at: performance.now() });
  }, 0));
}

// ---- the agent ------------------------------------------------------------------------------

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
    else if (message.type === "entry_refused") setError(message.message);
    else if (message.type === "pickup") renderPickupOrder(message.order);
    else if (message.type === "pickup_result") renderPickupResult(message);
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
  renderCountdown();
  if ((typed || cart.size) && Date.now() - lastTouch > ENTRY_IDLE_MS) {
    typed = "";
    cart.clear();
    setError("");
    renderKeyed();
    if (state && state.menu) renderMenu();
  }
}

$("balance-button").addEventListener("click", () => send({ type: "balance_mode" }));
$("back-button").addEventListener("click", () => send({ type: "pay_mode" }));
$("pickup-button").addEventListener("click", () => send({ type: "pickup_mode" }));
$("pickup-back").addEventListener("click", () => send({ type: "pay_mode" }));
$("pickup-confirm").addEventListener("click", () => {
  if (pickupOrder) send({ type: "pickup_confirm", order_no: pickupOrder.order_no });
});
$("pickup-cancel").addEventListener("click", () => {
  pickupOrder = null;
  send({ type: "pickup_cancel" });
  showIdle();
});
$("keys").addEventListener("click", (event) => {
  const key = event.target.closest("[data-key]");
  if (key) press(key.dataset.key);
});
document.querySelector("#keypad [data-key=clear]").addEventListener("click", () => press("clear"));
$("amount-confirm").addEventListener("click", confirmAmount);
$("dishes").addEventListener("click", (event) => {
  const dish = event.target.closest(".dish");
  if (dish && !dish.disabled) changeQuantity(Number(dish.dataset.dishId), 1);
});
$("cart-lines").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (button) changeQuantity(Number(button.closest("li").dataset.dishId), button.classList.contains("more") ? 1 : -1);
});
$("cart-clear").addEventListener("click", () => {
  cart.clear();
  setError("");
  renderMenu();
});
$("cart-confirm").addEventListener("click", confirmDishes);
$("order-cancel").addEventListener("click", () => send({ type: "cancel_order" }));
$("result").addEventListener("click", () => {  // staff need not wait for the result to go
  if (resultTimer) {
    clearTimeout(resultTimer);
    showIdle();
  }
});
tick();
setInterval(tick, 1000);
connect();
