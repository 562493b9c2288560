/** Display helpers shared by pages: money is integer fen everywhere, shown as yuan with two decimals. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** "2026-12-08T09:30:00+08:00" → "12-08 09:30" (the backend sends Asia/Shanghai times). */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const match = /^\d{4}-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(iso)
  return match ? `${match[1]}-${match[2]} ${match[3]}:${match[4]}` : iso
}

/** A date as YYYY-MM-DD in the business time zone (Asia/Shanghai, UTC+8, no daylight saving). */
export function isoDate(at: Date): string {
  const shanghai = new Date(at.getTime() + 8 * 3600 * 1000)
  return shanghai.toISOString().slice(0, 10)
}

export function addDays(day: string, days: number): string {
  const at = new Date(`${day}T00:00:00Z`)
  at.setUTCDate(at.getUTCDate() + days)
  return at.toISOString().slice(0, 10)
}
