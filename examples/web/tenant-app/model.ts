/** The example services' resources, as their API answers them (examples/services/README.md). */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

export interface Product {
  readonly id: string;
  readonly name: string;
  readonly price: number;
  readonly sku?: string;
  readonly description?: string;
}

export interface ProductInput {
  readonly name: string;
  readonly price: number;
  readonly sku?: string;
  readonly description?: string;
}

export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly unitPrice: number;
  readonly quantity: number;
}

export interface Order {
  readonly id: string;
  readonly lines: OrderLine[];
  readonly total: number;
  readonly status: string;
  readonly createdAt: string;
}

export interface User {
  readonly username: string;
  readonly email: string;
  readonly role: string;
  readonly status?: string;
  readonly enabled?: boolean;
}

/** The product form's problems, by field, with the services' own limits. */
export function validateProduct(form: { name: string; price: string; sku: string; description: string }): Partial<Record<'name' | 'price' | 'sku' | 'description', string>> {
  const problems: Partial<Record<'name' | 'price' | 'sku' | 'description', string>> = {};
  const name = form.name.trim();
  if (name.length < 1 || name.length > 200) {
    problems.name = 'Enter a name of 1 to 200 characters.';
  }
  const price = Number(form.price);
  if (form.price.trim() === '' || !Number.isFinite(price) || price < 0 || price > 1_000_000) {
    problems.price = 'Enter a price from 0 to 1,000,000.';
  }
  if (form.sku !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(form.sku)) {
    problems.sku = 'A SKU is 1 to 64 letters, digits, hyphens or underscores.';
  }
  if (form.description.length > 2000) {
    problems.description = 'Keep the description under 2,000 characters.';
  }
  return problems;
}

export function productInput(form: { name: string; price: string; sku: string; description: string }): ProductInput {
  return {
    name: form.name.trim(),
    price: Number(form.price),
    ...(form.sku ? { sku: form.sku } : {}),
    ...(form.description ? { description: form.description } : {}),
  };
}

export const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** A new key for one submission of a form: its retries reuse it, so a lost answer never creates a second item. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
