/**
 * The one request layer every page goes through: typed by `paths` (see types.ts), sends the
 * session token, logs in again once when the backend answers 401 `auth.*`, and turns every
 * failure into an ApiError (with the backend's Chinese message) or a NetworkError.
 */
import type { paths } from './schema'
import { API_BASE } from '../config'
import { ApiError, NetworkError } from './errors'
import { authHeader } from './session'
import type { Answer, CallOptions, Method, PathsFor } from './types'

type Relogin = () => Promise<boolean>
let relogin: Relogin = async () => false

/** Set by the auth module: renews the session (silently where the platform can) and says if it did. */
export function setRelogin(handler: Relogin): void {
  relogin = handler
}

export interface RawAnswer {
  statusCode: number
  data: unknown
}

function fillPath(path: string, params: Record<string, string | number> | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? '')))
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return ''
  const pairs = Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  return pairs.length ? `?${pairs.join('&')}` : ''
}

function send(method: Method, url: string, body: unknown, header: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    uni.request({
      url,
      method: method.toUpperCase() as 'GET',
      data: body as UniApp.RequestOptions['data'],
      header,
      timeout: 15000,
      success: (answer) => resolve({ statusCode: answer.statusCode, data: answer.data }),
      fail: () => reject(new NetworkError()),
    })
  })
}

/** The backend's error shape is always `{"error": {"code", "message"}}`; anything else is a server fault. */
function toApiError(status: number, data: unknown): ApiError {
  const error = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error
  if (error?.code && error.message) return new ApiError(status, error.code, error.message, error.details)
  return new ApiError(status, 'common.unexpected', `服务暂时不可用（${status}），请稍后重试`)
}

/** A 2xx answer's body, or the ApiError of any other. */
export function settle<T>(answer: RawAnswer): T {
  if (answer.statusCode >= 200 && answer.statusCode < 300) return answer.data as T
  throw toApiError(answer.statusCode, answer.data)
}

function headers(anonymous: boolean | undefined, idempotencyKey: string | undefined): Record<string, string> {
  const header: Record<string, string> = { 'Content-Type': 'application/json', ...(anonymous ? {} : authHeader()) }
  if (idempotencyKey) header['Idempotency-Key'] = idempotencyKey
  return header
}

export async function call<M extends Method, P extends PathsFor<M>>(
  method: M,
  path: P,
  ...[options]: {} extends CallOptions<P, M> ? [CallOptions<P, M>?] : [CallOptions<P, M>]
): Promise<Answer<P, M>> {
  const opts = (options ?? {}) as {
    params?: Record<string, string | number>
    query?: Record<string, unknown>
    body?: unknown
    idempotencyKey?: string
    anonymous?: boolean
  }
  const url = `${API_BASE}${fillPath(path as string, opts.params)}${queryString(opts.query)}`
  let answer = await send(method, url, opts.body, headers(opts.anonymous, opts.idempotencyKey))
  if (answer.statusCode === 401 && !opts.anonymous && isAuthError(answer.data) && (await relogin())) {
    answer = await send(method, url, opts.body, headers(false, opts.idempotencyKey))
  }
  return settle<Answer<P, M>>(answer)
}

function isAuthError(data: unknown): boolean {
  const code = (data as { error?: { code?: string } } | null)?.error?.code
  return typeof code === 'string' && code.startsWith('auth.')
}

/** Typed shorthands: `api.get('/mp/v1/wallet')`, `api.post('/mp/v1/canteen/bookings', { body })`. */
export const api = {
  get: <P extends PathsFor<'get'>>(
    path: P,
    ...rest: {} extends CallOptions<P, 'get'> ? [CallOptions<P, 'get'>?] : [CallOptions<P, 'get'>]
  ) => call('get', path, ...rest),
  post: <P extends PathsFor<'post'>>(
    path: P,
    ...rest: {} extends CallOptions<P, 'post'> ? [CallOptions<P, 'post'>?] : [CallOptions<P, 'post'>]
  ) => call('post', path, ...rest),
}

export type { paths }
