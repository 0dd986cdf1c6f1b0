import { Resource, tables } from 'lode';

let sourceCalls = 0;

/** The origin the cache loads from: in process, so the benchmark measures the cache, not a network. */
const origin = {
  async get(id) {
    sourceCalls++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const i = Number(id.replace(/^\D+/, ''));
    return { name: `Item number ${i} of the benchmark`, category: `category-${i % 50}`, price: i / 10, description: 'from the origin', tags: ['bench'] };
  },
};

tables.CachedItem.sourcedFrom(origin, { expiration: 3600 });

/** A custom write: reads the item and its stock, writes an order (one transaction). */
export class PlaceOrder extends Resource {
  static async put(target, data) {
    const id = String(target.id);
    const item = await tables.Item.get(id);
    const stock = await tables.Stock.get(id);
    if (!item || !stock) throw Object.assign(new Error('unknown item'), { statusCode: 404 });
    await tables.Order.put(id, { item: id, quantity: data.quantity, total: item.price * data.quantity });
  }
}

export class SourceCalls extends Resource {
  static get() {
    return { calls: sourceCalls };
  }
}
