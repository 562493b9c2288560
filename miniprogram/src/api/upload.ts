/**
 * Multipart upload of one photo (uni.uploadFile: the only way a mini-program sends a file), with
 * the same token and error shape as the JSON calls in client.ts (the form page has renewed the
 * session already by loading its categories).
 */
import { API_BASE } from '../config'
import { NetworkError } from './errors'
import { getToken } from './session'
import { toApiError } from './client'
import type { Schemas } from './types'

function uploadOnce(filePath: string): Promise<{ statusCode: number; data: unknown }> {
  const token = getToken()
  return new Promise((resolve, reject) => {
    uni.uploadFile({
      url: `${API_BASE}/mp/v1/repairs/photos`,
      filePath,
      name: 'file',
      header: token ? { Authorization: `Bearer ${token}` } : {},
      success: (answer) => {
        let data: unknown = answer.data
        try {
          data = JSON.parse(answer.data)
        } catch {
          // A proxy's HTML error page: toApiError turns it into the generic message.
        }
        resolve({ statusCode: answer.statusCode, data })
      },
      fail: () => reject(new NetworkError()),
    })
  })
}

export async function uploadRepairPhoto(filePath: string): Promise<Schemas['UploadedPhotoOut']> {
  const answer = await uploadOnce(filePath)
  if (answer.statusCode >= 200 && answer.statusCode < 300) return answer.data as Schemas['UploadedPhotoOut']
  throw toApiError(answer.statusCode, answer.data)
}

