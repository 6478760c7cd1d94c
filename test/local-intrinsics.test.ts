import { IntrinsicContext, resolveIntrinsics } from '../local/intrinsics';

/** The one evaluator of CloudFormation intrinsics behind the policy tests and the local deployment. */
const ctx: IntrinsicContext = {
  ref: (id) => ({ 'AWS::Region': 'eu-west-1', 'Table': 'table-name', 'Shard': '1' } as Record<string, string>)[id] ?? `ref:${id}`,
  getAtt: (id, attr) => `${id}.${attr}`,
  importValue: (name) => `import:${name}`,
  condition: (name) => name === 'Yes',
};

test.each<[string, unknown, unknown]>([
  ['Ref', { Ref: 'Table' }, 'table-name'],
  ['GetAtt as a list and as a string', [{ 'Fn::GetAtt': ['Fn', 'Arn'] }, { 'Fn::GetAtt': 'Stack.Outputs.Url' }], ['Fn.Arn', 'Stack.Outputs.Url']],
  ['Join', { 'Fn::Join': ['-', ['a', { Ref: 'Table' }]] }, 'a-table-name'],
  ['Sub with references, attributes, variables and an escaped literal', { 'Fn::Sub': ['${AWS::Region}/${Fn.Arn}/${x}/${!Literal}', { x: { Ref: 'Table' } }] }, 'eu-west-1/Fn.Arn/table-name/${Literal}'],
  ['Select by a referenced index', { 'Fn::Select': [{ Ref: 'Shard' }, ['zero', 'one']] }, 'one'],
  ['Split', { 'Fn::Split': [',', 'a,b'] }, ['a', 'b']],
  ['ImportValue', { 'Fn::ImportValue': 'Export' }, 'import:Export'],
  ['GetAZs', { 'Fn::GetAZs': '' }, ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']],
  ['If and conditions', [{ 'Fn::If': ['Yes', 1, 2] }, { 'Fn::If': ['No', 1, 2] }, { 'Fn::Equals': ['a', 'a'] }, { 'Fn::Not': [{ Condition: 'Yes' }] }], [1, 2, true, false]],
  ['AWS::NoValue removes the property', { A: { Ref: 'AWS::NoValue' }, B: 1 }, { B: 1 }],
])('%s', (_name, value, expected) => {
  expect(resolveIntrinsics(value, ctx)).toEqual(expected);
});

test('an unknown function or a Select out of range fails, naming it', () => {
  expect(() => resolveIntrinsics({ 'Fn::Transform': {} }, ctx)).toThrow('Fn::Transform is not supported by the local evaluator');
  expect(() => resolveIntrinsics({ 'Fn::Select': [2, ['a']] }, ctx)).toThrow('Fn::Select: index 2 is outside the list ["a"]');
});
