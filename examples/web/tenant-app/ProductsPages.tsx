import { FormEvent, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { fieldProps } from '../shared/forms';
import { ButtonLink, ErrorNotice, ListStates, Loading, LoadMore, useLoad, usePagedList } from '../shared/ui';
import { useTenant } from './App';
import { money, newIdempotencyKey, Page, Product, productInput, validateProduct } from './model';

/** The tenant's products, 25 at a time, with "Load more". */
export function ProductsPage() {
  const { api } = useTenant();
  const list = usePagedList((nextToken?: string) => api.get<Page<Product>>('products', { nextToken }), [api]);
  return (
    <section aria-labelledby="products-heading">
      <h1 id="products-heading">Products</h1>
      <p><ButtonLink to="/products/new">New product</ButtonLink></p>
      <ListStates list={list} loading="Loading products" empty="No products yet. Create the first one." />
      {list.items.length > 0 ? (
        <div className="overflow-auto">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">SKU</th><th scope="col">Price</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {list.items.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>{p.sku ?? '-'}</td>
                  <td>{money.format(p.price)}</td>
                  <td><Link to={`/products/${p.id}/edit`} aria-label={`Edit ${p.name}`}>Edit</Link></td>
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

type ProductForm = { name: string; price: string; sku: string; description: string };
const EMPTY_FORM: ProductForm = { name: '', price: '', sku: '', description: '' };

/** Creates a product (`/products/new`) or edits one (`/products/:id/edit`). */
export function ProductFormPage() {
  const { api } = useTenant();
  const { id } = useParams();
  const navigate = useNavigate();
  const [form, setForm] = useState<ProductForm | undefined>(id ? undefined : EMPTY_FORM);
  const [problems, setProblems] = useState<ReturnType<typeof validateProduct>>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // One key per product being created: a retry after a lost answer replays the first result.
  const key = useRef(newIdempotencyKey());
  const [loaded] = useLoad(async () => {
    if (!id) {
      return undefined;
    }
    const p = await api.get<Product>(`products/${encodeURIComponent(id)}`);
    setForm({ name: p.name, price: String(p.price), sku: p.sku ?? '', description: p.description ?? '' });
    return p;
  }, [api, id]);

  if (id && loaded.state === 'loading') {
    return <Loading label="Loading the product" />;
  }
  if (id && loaded.state === 'error') {
    return <><h1>Edit product</h1><ErrorNotice error={loaded.error} /></>;
  }
  const values = form ?? EMPTY_FORM;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateProduct(values);
    setProblems(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      if (id) {
        await api.put(`products/${encodeURIComponent(id)}`, productInput(values));
      } else {
        await api.post('products', productInput(values), { 'Idempotency-Key': key.current });
      }
      navigate('/products');
    } catch (err) {
      setFailure(err);
      setBusy(false);
    }
  };
  const field = (name: keyof ProductForm) => fieldProps(name, { values, problems, set: setForm });
  const problem = (name: keyof ProductForm) => (problems[name] ? <small id={`${name}-problem`}>{problems[name]}</small> : null);
  return (
    <section aria-labelledby="product-form-heading">
      <h1 id="product-form-heading">{id ? 'Edit product' : 'New product'}</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor="name">Name</label>
        <input {...field('name')} required maxLength={200} />
        {problem('name')}
        <label htmlFor="price">Price (USD)</label>
        <input {...field('price')} type="number" min={0} max={1000000} step="0.01" required />
        {problem('price')}
        <label htmlFor="sku">SKU (optional)</label>
        <input {...field('sku')} maxLength={64} />
        {problem('sku')}
        <label htmlFor="description">Description (optional)</label>
        <textarea {...field('description')} maxLength={2000} />
        {problem('description')}
        {failure ? <ErrorNotice error={failure} /> : null}
        <div className="grid">
          <ButtonLink to="/products" className="secondary">Cancel</ButtonLink>
          <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>{id ? 'Save' : 'Create product'}</button>
        </div>
      </form>
    </section>
  );
}
