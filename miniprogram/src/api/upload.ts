/**
 * Multipart upload of one photo (uni.uploadFile: the only way a mini-program sends a file), with
 * the same token and error shape as the JSON calls in client.ts (the form page has renewed the
 * session already by loading its categories).
 */
import { API_BASE } from '../config'
import { NetworkError } from './errors'
import { authHeader } from './session'
import { settle, type RawAnswer } from './client'
import type { Schemas } from './types'

function uploadOnce(filePath: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    uni.uploadFile({
      url: `${API_BASE}/mp/v1/repairs/photos`,
      filePath,
      name: 'file',
      header: authHeader(),
      success: (answer) => {
        let data: unknown = answer.data
        try {
          data = JSON.parse(answer.data)
        } catch {
          // A proxy's HTML error page: settle turns it into the generic message.
        }
        resolve({ statusCode: answer.statusCode, data })
      },
      fail: () => reject(new NetworkError()),
    })
  })
}

export async function uploadRepairPhoto(filePath: string): Promise<Schemas['UploadedPhotoOut']> {
  return settle<Schemas['UploadedPhotoOut']>(await uploadOnce(filePath))
}

