/**
 * The example services' resources, as their API answers them (examples/services/README.md): the services' own types,
 * imported as types only (nothing of the services is bundled), so that the app and the services cannot drift apart.
 */
import type { Order as ServiceOrder, OrderLine } from '../../services/orders/app';
import type { Product, ProductInput } from '../../services/products/app';
import type { User } from '../../services/users/app';

export type { OrderLine, Product, ProductInput, User };

/** An order as the API answers it (the tenant id is the caller's). */
export type Order = Omit<ServiceOrder, 'tenantId'>;

/** A page of a list, as the services answer it. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
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
