/**
 * Photos are made smaller on the phone before upload (a phone photo is several MB; the backend
 * keeps at most ~1600 px): mp-weixin with uni.compressImage, H5 by drawing on a canvas.
 */
import { PLATFORM } from '../config'

const MAX_SIDE = 1600
const QUALITY = 0.7

function compressInBrowser(path: string): Promise<string> {
  return new Promise((resolve) => {
    const image = new Image()
    image.onload = () => {
      const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height))
      const canvas = document.createElement('canvas')
      canvas.width = Math.round(image.width * scale)
      canvas.height = Math.round(image.height * scale)
      const context = canvas.getContext('2d')
      if (!context) {
        resolve(path)
        return
      }
      context.drawImage(image, 0, 0, canvas.width, canvas.height)
      canvas.toBlob((blob) => resolve(blob ? URL.createObjectURL(blob) : path), 'image/jpeg', QUALITY)
    }
    // An image the browser cannot decode is sent as it is; the backend says if it refuses it.
    image.onerror = () => resolve(path)
    image.src = path
  })
}

function compressInMiniProgram(path: string): Promise<string> {
  return new Promise((resolve) => {
    uni.compressImage({
      src: path,
      quality: QUALITY * 100,
      compressedWidth: MAX_SIDE,
      success: (answer) => resolve(answer.tempFilePath),
      fail: () => resolve(path),
    })
  })
}

export function compressPhoto(path: string): Promise<string> {
  return PLATFORM === 'h5' ? compressInBrowser(path) : compressInMiniProgram(path)
}
