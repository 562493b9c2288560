/**
 * An endpoint the mini-program needs that the backend does not publish yet: the WeChat ids of
 * the subscribe-message templates (from `backend.notices.service.template_ids`), so a page can
 * ask the cadre to subscribe at the moment the backend will later notify them. Once the backend
 * publishes it and `npm run api` regenerates schema.d.ts, delete this file.
 */
export {}

declare module './schema' {
  interface paths {
    '/mp/v1/notices/templates': {
      get: {
        parameters: { query?: never; header?: never; path?: never; cookie?: never }
        requestBody?: never
        responses: {
          200: { content: { 'application/json': { templates: Record<string, string> } } }
        }
      }
    }
  }
}
