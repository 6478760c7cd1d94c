/**
 * Security-group graph of a synthesized template: an edge `source → group` for each ingress rule (inline or
 * AWS::EC2::SecurityGroupIngress), a CIDR source as a node of its own. Used to prove network isolation.
 */
export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly port: string;
}

function groupId(value: any): string | undefined {
  if (value?.['Fn::GetAtt']?.[1] === 'GroupId') {
    return value['Fn::GetAtt'][0];
  }
  return undefined;
}

export function securityGroupEdges(template: any): Edge[] {
  const edges: Edge[] = [];
  const add = (to: string, rule: any) => {
    const from = groupId(rule.SourceSecurityGroupId) ?? (rule.CidrIp ? `cidr:${rule.CidrIp}` : rule.CidrIpv6 ? `cidr:${rule.CidrIpv6}` : 'unknown');
    edges.push({ from, to, port: `${rule.IpProtocol}:${rule.FromPort}-${rule.ToPort}` });
  };
  for (const [id, r] of Object.entries<any>(template.Resources)) {
    if (r.Type === 'AWS::EC2::SecurityGroup') {
      for (const rule of r.Properties.SecurityGroupIngress ?? []) {
        add(id, rule);
      }
    }
    if (r.Type === 'AWS::EC2::SecurityGroupIngress') {
      const to = groupId(r.Properties.GroupId);
      if (!to) {
        throw new Error(`Ingress ${id} targets a group outside this template`);
      }
      add(to, r.Properties);
    }
  }
  return edges;
}

/** Every node that can reach `target` through one or more ingress edges. */
export function reachers(edges: Edge[], target: string): Set<string> {
  const seen = new Set<string>();
  const queue = [target];
  while (queue.length) {
    const node = queue.pop()!;
    for (const e of edges.filter((x) => x.to === node)) {
      if (!seen.has(e.from)) {
        seen.add(e.from);
        queue.push(e.from);
      }
    }
  }
  return seen;
}

/**
 * Violations of tenant network isolation: any path into a tenant's group from anything other than itself and the
 * router, and any direct ingress from the router on a port other than the tenant's entry ports.
 */
export function isolationViolations(
  edges: Edge[],
  tenants: { name: string; group: string; entryPorts: string[] }[],
  routerGroups: string[],
): string[] {
  const violations: string[] = [];
  for (const t of tenants) {
    for (const from of reachers(edges, t.group)) {
      if (from !== t.group && !routerGroups.includes(from)) {
        const other = tenants.find((o) => o.group === from);
        violations.push(`${other ? `tenant ${other.name}` : from} can reach tenant ${t.name}`);
      }
    }
    for (const e of edges.filter((x) => x.to === t.group && routerGroups.includes(x.from))) {
      if (!t.entryPorts.includes(e.port)) {
        violations.push(`the router reaches tenant ${t.name} on ${e.port}, which is not an entry point`);
      }
    }
  }
  return violations;
}
