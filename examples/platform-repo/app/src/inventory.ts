import https from 'node:https';

// The inventory API, over TLS 1.3 only.
const agent = new https.Agent({ minVersion: 'TLSv1.3' });

export async function stock(sku: string): Promise<number> {
  const res = await fetch(`https://api.internal:8443/v1/stock`, { agent } as RequestInit);
  return (await res.json()).count;
}
