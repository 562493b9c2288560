/** 智慧食堂 pages: booking and cancelling, the backend's refusal shown, empty menus, trips. */
import { flushPromises } from '@vue/test-utils'
import BookingPage from '../../../src/pkg-canteen/pages/index.vue'
import MenusPage from '../../../src/pkg-canteen/pages/menus.vue'
import { isoDate } from '../../../src/utils/format'
import { fakeUni, json } from '../fakes/uni'
import { showPage, stateOf } from './helpers'

const today = isoDate(new Date())
const canteens = {
  items: [
    {
      id: 1,
      code: 'C1',
      name: '机关一食堂',
      location: '',
      max_payment_fen: 5000,
      offline_max_payment_fen: 3000,
      offline_max_count_per_card: 3,
      periods: [
        { code: 'lunch', name: '午餐' },
        { code: 'dinner', name: '晚餐' },
      ],
    },
  ],
}

function byUrl(routes: Record<string, unknown>) {
  return (request: { url: string; method?: string }) => {
    const key = Object.keys(routes).find((k) => `${request.method ?? 'GET'} ${request.url}`.startsWith(k))
    return key ? { status: 200, data: routes[key] } : { status: 404, data: { error: { code: 'common.not_found', message: '请求的资源不存在' } } }
  }
}

test("booking a meal sends the canteen, day and period, and marks it booked", async () => {
  const bookings: unknown[] = []
  fakeUni().answer((request) => {
    if (request.url === '/mp/v1/canteen/canteens') return { status: 200, data: canteens }
    if (request.method === 'POST' && request.url === '/mp/v1/canteen/bookings') {
      bookings.push({ ...(request.data as object), status: 'booked' })
      return { status: 200, data: bookings[0] }
    }
    return { status: 200, data: { items: bookings } }
  })
  const wrapper = await showPage(BookingPage)

  const lunch = wrapper.find(`[data-meal="${today}-lunch"]`)
  expect(lunch.text()).toBe('午餐')
  await lunch.trigger('click')
  await flushPromises()

  const post = fakeUni().requests.find((r) => r.method === 'POST')!
  expect(post.data).toEqual({ canteen: 'C1', date: today, period: 'lunch' })
  expect(wrapper.find(`[data-meal="${today}-lunch"]`).text()).toBe('午餐 已报')
  expect(fakeUni().toasts).toContain('报餐成功')
})

test('tapping a booked meal cancels it', async () => {
  fakeUni().answer(
    byUrl({
      'GET /mp/v1/canteen/canteens': canteens,
      'GET /mp/v1/canteen/bookings': { items: [{ canteen: 'C1', date: today, period: 'dinner', status: 'booked' }] },
      'POST /mp/v1/canteen/bookings/cancel': { canteen: 'C1', date: today, period: 'dinner', status: 'cancelled' },
    }),
  )
  const wrapper = await showPage(BookingPage)

  await wrapper.find(`[data-meal="${today}-dinner"]`).trigger('click')
  await flushPromises()

  const post = fakeUni().requests.find((r) => r.method === 'POST')!
  expect(post.url).toBe('/mp/v1/canteen/bookings/cancel')
  expect(post.data).toEqual({ date: today, period: 'dinner' })
})

test("a booking past the cutoff shows the backend's reason", async () => {
  fakeUni().answer((request) => {
    if (request.url === '/mp/v1/canteen/canteens') return { status: 200, data: canteens }
    if (request.method === 'POST') return { status: 409, data: { error: { code: 'canteen.booking_closed', message: '已过报餐截止时间，不能再报餐' } } }
    return { status: 200, data: { items: [] } }
  })
  const wrapper = await showPage(BookingPage)

  await wrapper.find(`[data-meal="${today}-lunch"]`).trigger('click')
  await flushPromises()

  expect(fakeUni().toasts).toEqual(['已过报餐截止时间，不能再报餐'])
})

test('no canteens: the page says whom to ask', async () => {
  fakeUni().answer(json(200, { items: [] }))

  const wrapper = await showPage(BookingPage)

  expect(stateOf(wrapper)).toBe('empty')
  expect(wrapper.text()).toContain('请联系食堂管理员')
})

test('a day without a menu says to try another day', async () => {
  fakeUni().answer(byUrl({ 'GET /mp/v1/canteen/canteens': canteens, 'GET /mp/v1/canteen/menus': { canteen: 'C1', menus: [] } }))

  const wrapper = await showPage(MenusPage)

  expect(stateOf(wrapper)).toBe('empty')
  expect(wrapper.text()).toContain('还没有公布菜单')
})

test('menus list dishes with prices under their period', async () => {
  fakeUni().answer(
    byUrl({
      'GET /mp/v1/canteen/canteens': canteens,
      'GET /mp/v1/canteen/menus': {
        canteen: 'C1',
        menus: [{ period: 'lunch', dishes: [{ id: 9, name: '红烧肉', price_fen: 800, tags: ['荤'], has_photo: false }] }],
      },
    }),
  )

  const wrapper = await showPage(MenusPage)

  expect(wrapper.text()).toContain('红烧肉')
  expect(wrapper.text()).toContain('¥8.00')
  expect(fakeUni().requests[1].url).toBe(`/mp/v1/canteen/menus?canteen=C1&date=${today}`)
})
