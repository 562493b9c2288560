/**
 * The home page's service tiles, one entry per module the mini-program has pages for. Later
 * modules (fleet, shop, visitors, charging, assets, energy) add their entry here and their
 * sub-package in pages.json. A tile with a `role` shows only to cadres who play that part
 * ("<module>.<role>", listed by the backend in /mp/v1/me's `roles`).
 */
export interface ServiceTile {
  key: string
  title: string
  hint: string
  url: string
  role?: string
}

export const SERVICE_GROUPS: { title: string; tiles: ServiceTile[] }[] = [
  {
    title: '一卡通',
    tiles: [
      { key: 'paycode', title: '付款码', hint: '食堂扫码付款', url: '/pkg-wallet/pages/paycode' },
      { key: 'wallet', title: '我的一卡通', hint: '余额、明细、挂失', url: '/pkg-wallet/pages/index' },
      { key: 'topup', title: '充值', hint: '微信支付充值', url: '/pkg-wallet/pages/topup' },
    ],
  },
  {
    title: '智慧食堂',
    tiles: [
      { key: 'booking', title: '报餐', hint: '预订与取消', url: '/pkg-canteen/pages/index' },
      { key: 'menus', title: '今日菜单', hint: '各食堂菜品', url: '/pkg-canteen/pages/menus' },
      { key: 'trip', title: '出差报停', hint: '出差期间不报餐', url: '/pkg-canteen/pages/trip' },
      { key: 'meals', title: '就餐评价', hint: '为吃过的菜打分', url: '/pkg-canteen/pages/meals' },
    ],
  },
  {
    title: '随手拍报修',
    tiles: [
      { key: 'repair', title: '随手拍', hint: '拍照报修', url: '/pkg-repairs/pages/new' },
      { key: 'my-repairs', title: '我的报修', hint: '进度与评价', url: '/pkg-repairs/pages/mine' },
      { key: 'tasks', title: '维修任务', hint: '接单与完成', url: '/pkg-repairs/pages/tasks', role: 'repairs.technician' },
    ],
  },
]

/** The groups a person sees: a role's tiles only to those who play it. */
export function visibleGroups(roles: readonly string[]) {
  return SERVICE_GROUPS.map((group) => ({
    ...group,
    tiles: group.tiles.filter((tile) => !tile.role || roles.includes(tile.role)),
  })).filter((group) => group.tiles.length > 0)
}
