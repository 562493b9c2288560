/**
 * The login endpoints the backend is adding (issue 20's login contract) that are not yet in the
 * openapi.json snapshot. When `npm run api` brings them in, TypeScript reports these declarations
 * as duplicates: delete this file then, and the generated types take over.
 */
export {}

declare module './schema' {
  interface paths {
    '/mp/v1/auth/config': {
      get: {
        parameters: { query?: never; header?: never; path?: never; cookie?: never }
        requestBody?: never
        responses: {
          200: { content: { 'application/json': { wechat: 'configured' | 'standin' | 'absent' } } }
        }
      }
    }
    '/mp/v1/auth/standin/login-code': {
      post: {
        parameters: { query?: never; header?: never; path?: never; cookie?: never }
        requestBody: { content: { 'application/json': { phone: string } } }
        responses: { 200: { content: { 'application/json': { code: string } } } }
      }
    }
    '/mp/v1/auth/standin/phone-code': {
      post: {
        parameters: { query?: never; header?: never; path?: never; cookie?: never }
        requestBody: { content: { 'application/json': { phone: string } } }
        responses: { 200: { content: { 'application/json': { code: string } } } }
      }
    }
  }
}
