import { isIP } from 'node:net'

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. Only for socket addresses, never for headers. */
export function isLoopback (address: string | undefined): boolean {
  if (address === undefined) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  if (isIP(v4) === 4) return v4.startsWith('127.')
  return address === '::1'
}

/** True when the URL's host is this machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl (url: string | URL): boolean {
  const { hostname } = typeof url === 'string' ? new URL(url) : url
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || isLoopback(host)
}
