/**
 * Build-time settings. H5 is served by the backend itself, so its API is on the same origin;
 * mp-weixin needs VITE_API_BASE (an https origin registered in the WeChat console) at build time,
 * and the placeholder below makes a forgotten setting fail loudly instead of calling a real host.
 */
export const PLATFORM: string = process.env.UNI_PLATFORM || 'h5'

export const API_BASE: string = process.env.HOUQIN_API_BASE || (PLATFORM === 'h5' ? '' : 'https://example.invalid')
