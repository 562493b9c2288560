/** Pages as they behave inside WeChat (mp-weixin): paying a top-up and binding by phone number. */
import { flushPromises } from '@vue/test-utils'
import TopUpPage from '../../../src/pkg-wallet/pages/topup.vue'
import BindPage from '../../../src/pages/login/bind.vue'
import { getToken } from '../../../src/api/session'
import { loginWithWechat } from '../../../src/auth/login'
import { fakeUni, json } from '../fakes/uni'
import { showPage } from './helpers'

jest.mock('../../../src/config', () => ({ PLATFORM: 'mp-weixin', API_BASE: 'https://houqin.test' }))

const payment = { appId: 'wxapp', timeStamp: '1765000000', nonceStr: 'n', package: 'prepay_id=p1', signType: 'RSA', paySign: 'sig' }
const order = { out_trade_no: 'T100', amount_fen: 10000, status: 'pending', created_at: '', paid_at: null }

async function payFor100(wrapper: Awaited<ReturnType<typeof showPage>>) {
  const payButton = wrapper.findAll('button').find((b) => b.text().startsWith('微信支付'))!
  await payButton.trigger('click')
  await payButton.trigger('click')
  await flushPromises()
}

test('a top-up pays with WeChat once and reports the credit the backend confirmed', async () => {
  fakeUni().answer(json(201, { order, request_payment: payment }), json(200, { ...order, status: 'paid' }))
  const wrapper = await showPage(TopUpPage)

  await payFor100(wrapper)

  const calls = fakeUni().requests.map((r) => `${r.method} ${r.url}`)
  expect(calls).toEqual(['POST https://houqin.test/mp/v1/wallet/topups', 'GET https://houqin.test/mp/v1/wallet/topups/T100'])
  expect(fakeUni().requests[0].data).toEqual({ amount_fen: 10000, client_ref: expect.stringMatching(/^mp-/) })
  const { appId: _appId, ...signed } = payment
  expect(fakeUni().payments).toEqual([{ provider: 'wxpay', orderInfo: '', ...signed }])
  expect(wrapper.find('[data-field="result"]').text()).toBe('充值成功，余额已更新')
})

test('a retried top-up whose payment went through is shown paid and not paid again', async () => {
  fakeUni().answer(json(201, { order: { ...order, status: 'paid' }, request_payment: null }))
  const wrapper = await showPage(TopUpPage)

  await payFor100(wrapper)

  expect(fakeUni().requests).toHaveLength(1)
  expect(fakeUni().payments).toEqual([])
  expect(wrapper.find('[data-field="result"]').text()).toBe('充值成功，余额已更新')
})

test('a payment the cadre cancels says nothing was charged and does not ask for the credit', async () => {
  fakeUni().paymentSucceeds = false
  fakeUni().answer(json(201, { order, request_payment: payment }))
  const wrapper = await showPage(TopUpPage)

  await payFor100(wrapper)

  expect(fakeUni().requests).toHaveLength(1)
  expect(wrapper.find('[data-field="result"]').text()).toBe('支付未完成，没有扣款')
})

test('an amount outside 1–2000 yuan is refused before anything is sent', async () => {
  const wrapper = await showPage(TopUpPage)
  ;(wrapper.vm as unknown as { amountYuan: number }).amountYuan = 5000

  await payFor100(wrapper)

  expect(fakeUni().requests).toHaveLength(0)
  expect(fakeUni().toasts[0]).toBe('充值金额应在 1 至 2000 元之间')
})

test('binding sends the ticket with the phone code WeChat gave, then goes home', async () => {
  fakeUni().answer(json(200, { bound: false, bind_ticket: 'ticket-7' }), json(200, { bound: true, token: 'tok-7', profile: null }))
  await loginWithWechat()
  const wrapper = await showPage(BindPage)

  await (wrapper.vm as unknown as { onPhone(e: unknown): Promise<void> }).onPhone({ detail: { code: 'phone-7' } })

  expect(fakeUni().requests[1].data).toEqual({ bind_ticket: 'ticket-7', phone_code: 'phone-7' })
  expect(getToken()).toBe('tok-7')
  expect(fakeUni().navigations).toEqual(['reLaunch:/pages/index/index'])
})

test('a cadre who declines to share the phone number is told it is needed', async () => {
  const wrapper = await showPage(BindPage)

  await (wrapper.vm as unknown as { onPhone(e: unknown): Promise<void> }).onPhone({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })

  expect(fakeUni().toasts).toEqual(['需要授权手机号才能绑定'])
  expect(fakeUni().requests).toHaveLength(0)
})
