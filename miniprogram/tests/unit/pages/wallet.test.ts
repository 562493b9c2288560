/** 一卡通 pages: loading, failure with the backend's message, content, empty history, lost card. */
import { flushPromises, mount } from '@vue/test-utils'
import WalletPage from '../../../src/pkg-wallet/pages/index.vue'
import HistoryPage from '../../../src/pkg-wallet/pages/history.vue'
import PayCodePage from '../../../src/pkg-wallet/pages/paycode.vue'
import TopUpPage from '../../../src/pkg-wallet/pages/topup.vue'
import { fakeUni, json, networkDown, refusal } from '../fakes/uni'
import { fire } from '../fakes/uniApp'
import { showPage, stateOf } from './helpers'

const balance = { cash_fen: 12345, subsidy_fen: 5000, total_fen: 17345, overdraft_owed_fen: 0, closed_at: null }
const card = { id: 3, uid: 'A1B2C3', state: 'active', state_label: '正常', issued_at: '2026-01-01' }

test('the wallet shows loading until the balance arrives', async () => {
  fakeUni().answer(() => 'network-error')
  const wrapper = mount(WalletPage)
  fire('onShow')
  await Promise.resolve()

  expect(stateOf(wrapper)).toBe('loading')
  expect(wrapper.text()).toContain('正在加载')
})

test('the wallet shows the balance in yuan and the cards', async () => {
  fakeUni().answer(json(200, { balance, cards: [card] }))

  const wrapper = await showPage(WalletPage)

  expect(wrapper.find('[data-field="total"]').text()).toBe('¥173.45')
  expect(wrapper.text()).toContain('现金 ¥123.45 · 餐补 ¥50.00')
  expect(wrapper.text()).toContain('卡号 A1B2C3')
})

test("a failed load shows the backend's message and retries on request", async () => {
  fakeUni().answer(refusal(403, 'accounts.person_inactive', '您的账号已停用，请联系单位管理员'), json(200, { balance, cards: [] }))

  const wrapper = await showPage(WalletPage)
  expect(stateOf(wrapper)).toBe('error')
  expect(wrapper.text()).toContain('您的账号已停用，请联系单位管理员')

  await wrapper.find('[data-state="error"] button').trigger('click')
  await flushPromises()
  expect(wrapper.find('[data-field="total"]').text()).toBe('¥173.45')
})

test('reporting a card lost asks first, and a double tap tells the backend once', async () => {
  fakeUni().answer(json(200, { balance, cards: [card] }))
  const wrapper = await showPage(WalletPage)
  fakeUni().handlers = []
  fakeUni().answer(json(200, { ...card, state: 'lost', state_label: '已挂失' }), json(200, { balance, cards: [{ ...card, state: 'lost', state_label: '已挂失' }] }))
  fakeUni().modalAnswers.push(true, true)

  const lostButton = wrapper.findAll('button').find((b) => b.text() === '挂失')!
  await lostButton.trigger('click')
  await lostButton.trigger('click')
  await flushPromises()

  const lostCalls = fakeUni().requests.filter((r) => r.url === '/mp/v1/wallet/cards/3/lost')
  expect(lostCalls).toHaveLength(1)
  expect(fakeUni().toasts).toContain('已挂失')
})

test('an empty history says where records come from', async () => {
  fakeUni().answer(json(200, { items: [], total: 0, page: 1, page_size: 20 }))

  const wrapper = await showPage(HistoryPage)

  expect(stateOf(wrapper)).toBe('empty')
  expect(wrapper.text()).toContain('还没有收支记录')
})

test('the history lists lines with amounts and loads the next page at the bottom', async () => {
  const line = (id: number) => ({ transfer_id: id, at: '2026-12-08T12:01:00+08:00', kind: 'meal', memo: '午餐', cash_fen: -1200, subsidy_fen: 0 })
  fakeUni().answer(
    json(200, { items: [line(1), line(2)], total: 3, page: 1, page_size: 20 }),
    json(200, { items: [line(3)], total: 3, page: 2, page_size: 20 }),
  )

  const wrapper = await showPage(HistoryPage)
  await fire('onReachBottom')
  await flushPromises()

  expect(wrapper.findAll('.wd-cell')).toHaveLength(3)
  expect(wrapper.text()).toContain('-¥12.00')
  expect(fakeUni().requests[1].url).toBe('/mp/v1/wallet/history?page=2&page_size=20')
})

test('the pay code page shows the code as digits and draws its QR code', async () => {
  fakeUni().answer(json(200, { key_id: '0000000042', secret: 'UHF3Z6X26QNYDDUFPKTCFVIEO763E3PA', prefix: '66', step_seconds: 30, digits: 6, code: '660000000042000000' }))

  const wrapper = await showPage(PayCodePage)
  await flushPromises()

  expect(wrapper.find('[data-field="code"]').text()).toMatch(/^6600 0000 0042 \d{4} \d{2}$/)
  expect(fakeUni().canvasDraws).toBeGreaterThan(0)
  await fire('onUnload')
})

test('the pay code page without the network says so', async () => {
  fakeUni().answer(networkDown)

  const wrapper = await showPage(PayCodePage)

  expect(stateOf(wrapper)).toBe('error')
  expect(wrapper.text()).toContain('网络连接失败')
})

test('top-up on H5 explains that it needs WeChat', async () => {
  const wrapper = await showPage(TopUpPage)

  expect(stateOf(wrapper)).toBe('needs-wechat')
  expect(wrapper.text()).toContain('充值需要使用微信支付')
  expect(fakeUni().requests).toHaveLength(0)
})
