// The records both servers of the query benchmark hold.
export const PRODUCTS = 100_000;
export const BRANDS = 1000;

export function product(i: number): { id: number; name: string; category: string; price: number; stock: number; brandId: string } {
  return { id: i, name: `Product ${i}`, category: `c${i % 100}`, price: ((i * 7919) % 100_000) / 100, stock: i % 17, brandId: `b${i % BRANDS}` };
}

export function brand(i: number): { id: string; name: string } {
  return { id: `b${i}`, name: `Brand ${i}` };
}
