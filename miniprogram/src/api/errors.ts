/**
 * Errors a call can end in. `ApiError` carries the backend's stable code and its Chinese message
 * (shown to people as is); `NetworkError` means no answer came, so the same action may be retried
 * with the same idempotency key.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export class NetworkError extends Error {
  constructor() {
    super('网络连接失败，请检查网络后重试')
    this.name = 'NetworkError'
  }
}

/** Whether trying the same action again could help (nothing happened for sure otherwise). */
export function isRetryable(error: unknown): boolean {
  return error instanceof NetworkError || (error instanceof ApiError && error.status >= 500)
}

/** The sentence to show a person for any failure. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError) return error.message
  return '出了点问题，请稍后重试'
}
