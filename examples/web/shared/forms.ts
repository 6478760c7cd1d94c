/** Form fields: the props that tie an input to its value, its label (`id`) and its problem or hint. */

/**
 * The props of the input for `name` in a form of string fields: its id and name, its value, `aria-invalid` and
 * `aria-describedby` (the problem's element `<name>-problem` when there is one, else the hint's `<name>-hint` if the
 * field has one), and the change handler.
 */
export function fieldProps<F extends Record<string, string>>(
  name: keyof F & string,
  form: { readonly values: F; readonly problems: Partial<Record<keyof F, string>>; readonly set: (values: F) => void; readonly hints?: boolean },
) {
  const problem = form.problems[name];
  return {
    'id': name,
    'name': name,
    'value': form.values[name],
    'aria-invalid': problem ? true : undefined,
    'aria-describedby': problem ? `${name}-problem` : form.hints ? `${name}-hint` : undefined,
    'onChange': (e: { target: { value: string } }) => form.set({ ...form.values, [name]: e.target.value }),
  };
}
