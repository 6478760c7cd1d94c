import { FormEvent, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiClient } from '../shared/api';
import { ButtonLink, Empty, ErrorNotice, ListStates, Loading, LoadMore, useLoad, usePagedList } from '../shared/ui';
import { useTenant } from './App';
import { money, newIdempotencyKey, Order, Page, Product } from './model';

export function OrdersPage() {
  const { api } = useTenant();
  const list = usePagedList((nextToken?: string) => api.get<Page<Order>>('orders', { nextToken }), [api]);
  return (
    <section aria-labelledby="orders-heading">
      <h1 id="orders-heading">Orders</h1>
      <p><ButtonLink to="/orders/new">New order</ButtonLink></p>
      <ListStates list={list} loading="Loading orders" empty="No orders yet." />
      {list.items.length > 0 ? (
        <div className="overflow-auto">
          <table>
            <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Items</th><th scope="col">Total</th><th scope="col">Status</th></tr></thead>
            <tbody>
              {list.items.map((o) => (
                <tr key={o.id}>
                  <td><Link to={`/orders/${o.id}`}>{o.id.slice(0, 8)}</Link></td>
                  <td>{new Date(o.createdAt).toLocaleString()}</td>
                  <td>{o.lines.reduce((n, l) => n + l.quantity, 0)}</td>
                  <td>{money.format(o.total)}</td>
                  <td>{o.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore list={list} label="Load more" />
    </section>
  );
}

/** Every product of the tenant, page after page (an order can name any of them). */
async function allProducts(api: ApiClient): Promise<Product[]> {
  const products: Product[] = [];
  let nextToken: string | undefined;
  do {
    const page = await api.get<Page<Product>>('products', { limit: 100, nextToken });
    products.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return products;
}

/** An order from the tenant's products: a quantity for each (0 leaves it out). */
export function NewOrderPage() {
  const { api } = useTenant();
  const navigate = useNavigate();
  const [products, reload] = useLoad(() => allProducts(api), [api]);
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | undefined>();
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const lines = Object.entries(quantities)
      .map(([productId, q]) => ({ productId, quantity: Number(q) }))
      .filter((l) => l.quantity !== 0);
    if (lines.length === 0) {
      setProblem('Choose a quantity for at least one product.');
      return;
    }
    if (lines.some((l) => !Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > 1000)) {
      setProblem('Each quantity is a whole number from 1 to 1,000.');
      return;
    }
    setProblem(undefined);
    setBusy(true);
    setFailure(undefined);
    try {
      const order = await api.post<Order>('orders', { lines }, { 'Idempotency-Key': key.current });
      navigate(`/orders/${order.id}`);
    } catch (err) {
      setFailure(err);
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="new-order-heading">
      <h1 id="new-order-heading">New order</h1>
      {products.state === 'loading' ? <Loading label="Loading products" /> : null}
      {products.state === 'error' ? <ErrorNotice error={products.error} onRetry={reload} /> : null}
      {products.state === 'ready' && products.data.length === 0 ? <Empty>There are no products to order yet. <Link to="/products/new">Create one</Link>.</Empty> : null}
      {products.state === 'ready' && products.data.length > 0 ? (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <table>
            <thead><tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Quantity</th></tr></thead>
            <tbody>
              {products.data.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>{money.format(p.price)}</td>
                  <td>
                    <input
                      type="number" min={0} max={1000} step={1} inputMode="numeric"
                      aria-label={`Quantity of ${p.name}`}
                      value={quantities[p.id] ?? ''} placeholder="0"
                      onChange={(e) => setQuantities({ ...quantities, [p.id]: e.target.value })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {problem ? <p role="alert" className="error-text">{problem}</p> : null}
          {failure ? <ErrorNotice error={failure} /> : null}
          <div className="grid">
            <ButtonLink to="/orders" className="secondary">Cancel</ButtonLink>
            <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>Place order</button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

export function OrderPage() {
  const { api } = useTenant();
  const { id = '' } = useParams();
  const [order, reload] = useLoad(() => api.get<Order>(`orders/${encodeURIComponent(id)}`), [api, id]);
  if (order.state === 'loading') {
    return <Loading label="Loading the order" />;
  }
  if (order.state === 'error') {
    return <><p><Link to="/orders">All orders</Link></p><h1>Order</h1><ErrorNotice error={order.error} onRetry={reload} /></>;
  }
  const o = order.data;
  return (
    <section aria-labelledby="order-heading">
      <p><Link to="/orders">All orders</Link></p>
      <hgroup>
        <h1 id="order-heading">Order {o.id.slice(0, 8)}</h1>
        <p>{o.status}, placed {new Date(o.createdAt).toLocaleString()}</p>
      </hgroup>
      <table>
        <thead><tr><th scope="col">Product</th><th scope="col">Unit price</th><th scope="col">Quantity</th><th scope="col">Amount</th></tr></thead>
        <tbody>
          {o.lines.map((l) => (
            <tr key={l.productId}><td>{l.name}</td><td>{money.format(l.unitPrice)}</td><td>{l.quantity}</td><td>{money.format(l.unitPrice * l.quantity)}</td></tr>
          ))}
        </tbody>
        <tfoot><tr><th scope="row" colSpan={3}>Total</th><td>{money.format(o.total)}</td></tr></tfoot>
      </table>
    </section>
  );
}
