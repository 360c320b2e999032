// Checks a CloudFormation template against two independent references:
//   1. the CloudFormation resource specification shipped in npm @aws-cdk/cfnspec (pinned: spec
//      117.0.0) — every resource type, property (its type and whether it is required) and
//      Fn::GetAtt attribute, plus references, conditions and parameters;
//   2. npm cfn-lint's structural checks (references, intrinsic functions, parameters), run with
//      cfn-lint's own (older) specification replaced by spec 117 for the resource types the
//      template uses: where the two disagree the cfnspec wins, and every such difference the
//      template relies on is reported as a note.
// And lambench's own rules for deploy/aws/template.yaml (tags, no password, the database's
// safety settings). Usage: node check_template.mjs TEMPLATE.yaml  (exit 1 on any error)
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';

const require = createRequire(import.meta.url);
export const spec = require('@aws-cdk/cfnspec/spec/specification.json');

// ---- YAML with CloudFormation's short-form tags -------------------------------------------------
const shortForms = ['Ref', 'Condition', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals',
  'And', 'Or', 'Not', 'FindInMap', 'GetAZs', 'Base64', 'ImportValue', 'Cidr', 'Length', 'ToJsonString'];
const tagTypes = shortForms.flatMap((name) => ['scalar', 'sequence', 'mapping'].map((kind) =>
  new yaml.Type(`!${name}`, {
    kind,
    construct: (data) => {
      const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
      if (name === 'GetAtt' && typeof data === 'string') {
        const dot = data.indexOf('.');
        return { [key]: dot < 0 ? [data] : [data.slice(0, dot), data.slice(dot + 1)] };
      }
      return { [key]: data };
    },
  })));
const cfnSchema = yaml.DEFAULT_SCHEMA.extend(tagTypes);
export function parseTemplate(text) { return yaml.load(text, { schema: cfnSchema }); }

// ---- The specification checks -------------------------------------------------------------------
const pseudoParameters = {
  'AWS::AccountId': 'string', 'AWS::NotificationARNs': 'list', 'AWS::NoValue': 'novalue',
  'AWS::Partition': 'string', 'AWS::Region': 'string', 'AWS::StackId': 'string',
  'AWS::StackName': 'string', 'AWS::URLSuffix': 'string',
};
const parameterTypes = /^(String|Number|List<Number>|CommaDelimitedList|AWS::EC2::(AvailabilityZone::Name|Image::Id|Instance::Id|KeyPair::KeyName|SecurityGroup::GroupName|SecurityGroup::Id|Subnet::Id|Volume::Id|VPC::Id)|AWS::Route53::HostedZone::Id|List<AWS::EC2::(AvailabilityZone::Name|Image::Id|Instance::Id|SecurityGroup::GroupName|SecurityGroup::Id|Subnet::Id|Volume::Id|VPC::Id)>|List<AWS::Route53::HostedZone::Id>|AWS::SSM::Parameter::(Name|Value<.+>))$/;
const topLevelKeys = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters',
  'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Rules']);
const resourceKeys = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy',
  'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const conditionFunctions = new Set(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Condition']);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const intrinsicName = (v) => {
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')
    ? keys[0] : null;
};

export function checkSpec(tpl) {
  const errors = [];
  const err = (path, msg) => errors.push(`${path}: ${msg}`);
  if (!isObject(tpl)) return ['template: not a mapping'];
  for (const k of Object.keys(tpl)) if (!topLevelKeys.has(k)) err(k, 'unknown top-level section');
  const params = tpl.Parameters ?? {};
  const resources = tpl.Resources ?? {};
  const conditions = tpl.Conditions ?? {};
  if (!isObject(tpl.Resources) || Object.keys(resources).length === 0) err('Resources', 'missing or empty');

  // Parameters: a known type, a default that its own constraints accept.
  for (const [name, p] of Object.entries(params)) {
    const path = `Parameters.${name}`;
    if (!isObject(p) || typeof p.Type !== 'string') { err(path, 'has no Type'); continue; }
    if (!parameterTypes.test(p.Type)) err(path, `unknown parameter type ${p.Type}`);
    if (p.Default !== undefined) {
      const d = String(p.Default);
      if (p.AllowedValues && !p.AllowedValues.map(String).includes(d))
        err(path, `Default "${d}" is not one of AllowedValues`);
      if (p.AllowedPattern && !new RegExp(p.AllowedPattern).test(d))
        err(path, `Default "${d}" does not match AllowedPattern`);
    }
    if (name in resources) err(path, 'has the same logical id as a resource');
  }

  const kindOfParameter = (name) => {
    const t = params[name].Type;
    return t.startsWith('List<') || t === 'CommaDelimitedList' ? 'list' : t === 'Number' ? 'number' : 'string';
  };
  const resourceSpec = (name) => spec.ResourceTypes[resources[name]?.Type];

  // Where a value is evaluated: the conditions known to hold there (the resource's or output's
  // Condition, and the true branch of each enclosing Fn::If).
  const referable = (path, target, scope) => {
    const cond = resources[target]?.Condition;
    if (cond && !scope.has(cond))
      err(path, `refers to ${target}, which exists only when ${cond} holds; guard it with Condition: ${cond} or Fn::If`);
  };

  const checkCondition = (path, v) => {
    const fn = intrinsicName(v);
    if (fn === 'Condition') { if (!(v.Condition in conditions)) err(path, `unknown condition ${v.Condition}`); return; }
    if (fn && conditionFunctions.has(fn)) {
      const args = v[fn];
      if (!Array.isArray(args)) { err(path, `${fn} takes a list`); return; }
      if (fn === 'Fn::Equals' && args.length !== 2) err(path, 'Fn::Equals takes exactly two values');
      args.forEach((a, i) => (intrinsicName(a) && fn !== 'Fn::Equals' ? checkCondition(`${path}.${fn}[${i}]`, a)
        : inferKind(`${path}.${fn}[${i}]`, a, new Set())));
      return;
    }
    err(path, 'a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
  };

  // The kind of value an expression produces: string | number | boolean | list | object |
  // novalue | any, checking every reference inside it.
  function inferKind(path, v, scope) {
    if (Array.isArray(v)) { v.forEach((x, i) => inferKind(`${path}[${i}]`, x, scope)); return 'list'; }
    if (typeof v === 'string') return 'string';
    if (typeof v === 'number') return 'number';
    if (typeof v === 'boolean') return 'boolean';
    if (v === null || v === undefined) return 'any';
    const fn = intrinsicName(v);
    if (!fn) { for (const [k, x] of Object.entries(v)) inferKind(`${path}.${k}`, x, scope); return 'object'; }
    const a = v[fn];
    switch (fn) {
      case 'Ref':
        if (typeof a !== 'string') { err(path, 'Ref takes a logical id'); return 'any'; }
        if (a in pseudoParameters) return pseudoParameters[a];
        if (a in params) return kindOfParameter(a);
        if (a in resources) { referable(path, a, scope); return 'string'; }
        err(path, `Ref to unknown parameter or resource ${a}`);
        return 'any';
      case 'Fn::GetAtt': {
        if (!Array.isArray(a) || a.length !== 2 || typeof a[0] !== 'string' || typeof a[1] !== 'string') {
          err(path, 'Fn::GetAtt takes [LogicalId, Attribute]'); return 'any';
        }
        const [res, attr] = a;
        if (!(res in resources)) { err(path, `Fn::GetAtt of unknown resource ${res}`); return 'any'; }
        referable(path, res, scope);
        const rs = resourceSpec(res);
        if (!rs) return 'any';  // its unknown type is reported once, at the resource
        const at = rs.Attributes?.[attr];
        if (!at) { err(path, `${resources[res].Type} has no attribute ${attr} (spec ${spec.ResourceSpecificationVersion})`); return 'any'; }
        return at.Type === 'List' ? 'list' : primitiveKind(at.PrimitiveType);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(a) ? a : [a, {}];
        if (typeof text !== 'string') { err(path, 'Fn::Sub takes a string'); return 'string'; }
        for (const [k, x] of Object.entries(vars ?? {})) inferKind(`${path}.${k}`, x, scope);
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1].trim();
          if (vars && name in vars) continue;
          const dot = name.indexOf('.');
          if (dot > 0 && !(name in pseudoParameters)) inferKind(path, { 'Fn::GetAtt': [name.slice(0, dot), name.slice(dot + 1)] }, scope);
          else inferKind(path, { Ref: name }, scope);
        }
        return 'string';
      }
      case 'Fn::If': {
        if (!Array.isArray(a) || a.length !== 3 || typeof a[0] !== 'string') { err(path, 'Fn::If takes [Condition, then, else]'); return 'any'; }
        if (!(a[0] in conditions)) err(path, `unknown condition ${a[0]}`);
        const k1 = inferKind(`${path}[then]`, a[1], new Set([...scope, a[0]]));
        const k2 = inferKind(`${path}[else]`, a[2], scope);
        return k1 === k2 ? k1 : 'any';
      }
      case 'Fn::Join':
        if (!Array.isArray(a) || a.length !== 2 || typeof a[0] !== 'string') err(path, 'Fn::Join takes [delimiter, list]');
        else inferKind(path, a[1], scope);
        return 'string';
      case 'Fn::Select': inferKind(path, a, scope); return 'any';
      case 'Fn::Split': case 'Fn::GetAZs': case 'Fn::Cidr': inferKind(path, a, scope); return 'list';
      case 'Fn::Base64': case 'Fn::ImportValue': case 'Fn::ToJsonString': inferKind(path, a, scope); return 'string';
      case 'Fn::FindInMap': inferKind(path, a, scope); return 'any';
      case 'Fn::Length': inferKind(path, a, scope); return 'number';
      default:
        err(path, `${fn} cannot be used here`);
        return 'any';
    }
  }
  const primitiveKind = (p) => ({ String: 'string', Integer: 'number', Long: 'number', Double: 'number',
    Boolean: 'boolean', Json: 'object', Timestamp: 'string' })[p] ?? 'any';

  // A literal or expression against a primitive type. CloudFormation converts scalars written as
  // strings ("20" for an Integer, "true" for a Boolean) and numbers for strings.
  function checkPrimitive(path, v, prim, scope) {
    const kind = inferKind(path, v, scope);
    if (kind === 'any' || kind === 'novalue') return;
    const ok = {
      String: ['string', 'number'], Timestamp: ['string'],
      Integer: ['number', 'string'], Long: ['number', 'string'], Double: ['number', 'string'],
      Boolean: ['boolean', 'string'], Json: ['object', 'string'],
    }[prim] ?? [kind];
    if (!ok.includes(kind)) { err(path, `expects ${prim}, got ${kind}`); return; }
    if (typeof v === 'string' && (prim === 'Integer' || prim === 'Long') && !/^-?\d+$/.test(v)) err(path, `expects ${prim}, got "${v}"`);
    if (typeof v === 'string' && prim === 'Double' && Number.isNaN(Number(v))) err(path, `expects Double, got "${v}"`);
    if (typeof v === 'string' && prim === 'Boolean' && !/^(true|false)$/i.test(v)) err(path, `expects Boolean, got "${v}"`);
    if (typeof v === 'number' && (prim === 'Integer' || prim === 'Long') && !Number.isInteger(v)) err(path, `expects ${prim}, got ${v}`);
  }

  const propertyTypeSpec = (resourceType, name) =>
    spec.PropertyTypes[`${resourceType}.${name}`] ?? spec.PropertyTypes[name];

  // A value against a property definition ({PrimitiveType} | {Type: List|Map, item} | {Type: T}).
  function checkValue(path, v, def, resourceType, scope) {
    const fn = intrinsicName(v);
    if (fn === 'Fn::If' && Array.isArray(v[fn]) && v[fn].length === 3) {
      const [c, a, b] = v[fn];
      if (!(c in conditions)) err(path, `unknown condition ${c}`);
      checkValue(`${path}[then]`, a, def, resourceType, new Set([...scope, c]));
      checkValue(`${path}[else]`, b, def, resourceType, scope);
      return;
    }
    if (fn === 'Ref' && v.Ref === 'AWS::NoValue') {
      if (def.Required) err(path, 'is required but may be AWS::NoValue');
      return;
    }
    if (def.PrimitiveType) { checkPrimitive(path, v, def.PrimitiveType, scope); return; }
    if (def.Type === 'List') {
      if (!Array.isArray(v)) {
        const kind = inferKind(path, v, scope);
        if (kind !== 'list' && kind !== 'any') err(path, `expects a list, got ${kind}`);
        return;
      }
      v.forEach((x, i) => checkValue(`${path}[${i}]`, x,
        def.PrimitiveItemType ? { PrimitiveType: def.PrimitiveItemType } : { Type: def.ItemType },
        resourceType, scope));
      return;
    }
    if (def.Type === 'Map') {
      if (!isObject(v) || fn) { const k = inferKind(path, v, scope); if (k !== 'object' && k !== 'any') err(path, `expects a map, got ${k}`); return; }
      for (const [k, x] of Object.entries(v)) checkValue(`${path}.${k}`, x,
        def.PrimitiveItemType ? { PrimitiveType: def.PrimitiveItemType } : { Type: def.ItemType }, resourceType, scope);
      return;
    }
    const pt = propertyTypeSpec(resourceType, def.Type);
    if (!pt) { err(path, `the specification has no property type ${def.Type}`); return; }
    if (fn) { const k = inferKind(path, v, scope); if (k !== 'object' && k !== 'any') err(path, `expects ${def.Type}, got ${k}`); return; }
    if (!isObject(v)) { err(path, `expects ${def.Type} (a mapping), got ${Array.isArray(v) ? 'list' : typeof v}`); return; }
    checkProperties(path, v, pt.Properties ?? {}, resourceType, scope, def.Type);
  }

  function checkProperties(path, props, defs, resourceType, scope, typeName) {
    for (const [name, v] of Object.entries(props)) {
      const def = defs[name];
      if (!def) { err(`${path}.${name}`, `${typeName} has no property ${name} (spec ${spec.ResourceSpecificationVersion})`); continue; }
      checkValue(`${path}.${name}`, v, def, resourceType, scope);
    }
    for (const [name, def] of Object.entries(defs))
      if (def.Required && !(name in props)) err(path, `${typeName} requires property ${name}`);
  }

  for (const [name, c] of Object.entries(conditions)) checkCondition(`Conditions.${name}`, c);

  for (const [name, r] of Object.entries(resources)) {
    const path = `Resources.${name}`;
    if (!isObject(r)) { err(path, 'not a mapping'); continue; }
    for (const k of Object.keys(r)) if (!resourceKeys.has(k)) err(path, `unknown resource attribute ${k}`);
    const rs = spec.ResourceTypes[r.Type];
    if (!rs) { err(path, `unknown resource type ${r.Type} (spec ${spec.ResourceSpecificationVersion})`); continue; }
    if (r.Condition !== undefined && !(r.Condition in conditions)) err(path, `unknown condition ${r.Condition}`);
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'])
      if (r[policy] !== undefined && !['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(r[policy]))
        err(path, `${policy} must be Delete, Retain, RetainExceptOnCreate or Snapshot`);
    for (const d of [r.DependsOn ?? []].flat())
      if (!(d in resources)) err(path, `DependsOn unknown resource ${d}`);
    const scope = new Set(r.Condition ? [r.Condition] : []);
    if (r.Properties !== undefined && !isObject(r.Properties)) { err(path, 'Properties is not a mapping'); continue; }
    checkProperties(`${path}.Properties`, r.Properties ?? {}, rs.Properties ?? {}, r.Type, scope, r.Type);
  }

  for (const [name, o] of Object.entries(tpl.Outputs ?? {})) {
    const path = `Outputs.${name}`;
    if (!isObject(o) || !('Value' in o)) { err(path, 'has no Value'); continue; }
    if (o.Condition !== undefined && !(o.Condition in conditions)) err(path, `unknown condition ${o.Condition}`);
    const kind = inferKind(`${path}.Value`, o.Value, new Set(o.Condition ? [o.Condition] : []));
    if (kind === 'list' || kind === 'object') err(`${path}.Value`, `an output must be a string, got ${kind}`);
  }
  return errors;
}

// ---- lambench's own rules for deploy/aws/template.yaml -----------------------------------------
export function checkLambenchRules(tpl) {
  const errors = [];
  const err = (path, msg) => errors.push(`${path}: ${msg}`);
  const text = JSON.stringify(tpl);
  if (/"MasterUserPassword"|"[A-Za-z]*Password"\s*:\s*"/.test(text)) err('template', 'must not contain a password (use ManageMasterUserPassword)');
  const stackTag = { Ref: 'AWS::StackName' };
  for (const [name, r] of Object.entries(tpl.Resources ?? {})) {
    const rs = spec.ResourceTypes[r?.Type];
    if (!rs) continue;
    if (rs.Properties?.Tags) {
      const tags = r.Properties?.Tags;
      const ok = Array.isArray(tags) && tags.some((t) => t?.Key === 'lambench:stack' && JSON.stringify(t.Value) === JSON.stringify(stackTag));
      if (!ok) err(`Resources.${name}`, 'must be tagged lambench:stack = !Ref AWS::StackName');
    }
    if (r.Type === 'AWS::RDS::DBInstance') {
      const p = r.Properties ?? {};
      const need = (cond, msg) => { if (!cond) err(`Resources.${name}`, msg); };
      need(p.Engine === 'postgres', 'Engine must be postgres');
      need(p.StorageEncrypted === true, 'StorageEncrypted must be true');
      need(p.PubliclyAccessible === false, 'PubliclyAccessible must be false');
      need(p.ManageMasterUserPassword === true, 'ManageMasterUserPassword must be true');
      need(r.DeletionPolicy === 'Delete' && r.UpdateReplacePolicy === 'Delete',
        'DeletionPolicy and UpdateReplacePolicy must be Delete (no final snapshot)');
      need(r.Condition !== undefined, 'must be conditional (a suite without a database creates none)');
    }
    if (r.Type === 'AWS::EC2::SecurityGroup') {
      for (const rule of r.Properties?.SecurityGroupIngress ?? []) {
        const open = rule.CidrIp !== undefined || rule.CidrIpv6 !== undefined;
        if (open) err(`Resources.${name}`, 'ingress must come from a security group, not a CIDR range');
        if (rule.FromPort !== 5432 || rule.ToPort !== 5432 || rule.IpProtocol !== 'tcp')
          err(`Resources.${name}`, 'ingress must be tcp 5432 only');
      }
    }
  }
  const outputs = tpl.Outputs ?? {};
  for (const o of ['FunctionRoleArn', 'FunctionSecurityGroupId', 'DbEndpointAddress', 'DbEndpointPort', 'DbSecretArn', 'DbName', 'DbUser'])
    if (!(o in outputs)) err('Outputs', `missing ${o} (lambench aws deploy reads it)`);
  const params = tpl.Parameters ?? {};
  for (const [p, type] of Object.entries({ VpcId: 'AWS::EC2::VPC::Id', SubnetIds: 'List<AWS::EC2::Subnet::Id>',
    CreateDatabase: 'String', DbInstanceClass: 'String', DbName: 'String', DbUser: 'String' }))
    if (params[p]?.Type !== type) err('Parameters', `${p} must be of type ${type} (lambench aws deploy passes it)`);
  return errors;
}

// ---- npm cfn-lint, with spec 117 winning where the two disagree ---------------------------------
export function runCfnLint(tpl, templateText) {
  const awsData = require('cfn-lint/lib/awsData.js');
  const validator = require('cfn-lint/lib/validator.js');
  const lintSpec = awsData.awsResources;
  const notes = [];
  const types = new Set(Object.values(tpl.Resources ?? {}).map((r) => r?.Type).filter((t) => spec.ResourceTypes[t]));
  for (const type of types) {
    const old = lintSpec.ResourceTypes[type];
    const used = new Set(Object.keys(Object.values(tpl.Resources).find((r) => r.Type === type)?.Properties ?? {}));
    for (const r of Object.values(tpl.Resources)) if (r.Type === type) Object.keys(r.Properties ?? {}).forEach((k) => used.add(k));
    for (const p of used)
      if (!old?.Properties?.[p]) notes.push(`${type}.${p}: not in cfn-lint's spec ${lintSpec.ResourceSpecificationVersion}; spec ${spec.ResourceSpecificationVersion} has it (cfnspec wins)`);
    const attrs = JSON.stringify(tpl).matchAll(/"Fn::GetAtt":\["([^"]+)","([^"]+)"\]/g);
    for (const [, res, attr] of attrs)
      if (tpl.Resources[res]?.Type === type && !old?.Attributes?.[attr] && spec.ResourceTypes[type].Attributes?.[attr])
        notes.push(`${type} attribute ${attr}: not in cfn-lint's spec; spec ${spec.ResourceSpecificationVersion} has it (cfnspec wins)`);
    lintSpec.ResourceTypes[type] = spec.ResourceTypes[type];
    for (const [k, v] of Object.entries(spec.PropertyTypes)) if (k.startsWith(`${type}.`)) lintSpec.PropertyTypes[k] = v;
  }
  // Parameter values for the run, as lambench aws deploy passes them; both database settings.
  const dir = mkdtempSync(join(tmpdir(), 'cfnlint-'));
  const problems = [];
  try {
    const file = join(dir, 'template.yaml');
    writeFileSync(file, templateText);
    for (const createDatabase of ['true', 'false']) {
      validator.resetValidator();
      validator.addParameterValue('VpcId', 'vpc-0123456789abcdef0');
      validator.addParameterValue('SubnetIds', ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210']);
      validator.addParameterValue('CreateDatabase', createDatabase);
      validator.addPseudoValue('AWS::StackName', 'lambench');
      validator.addPseudoValue('AWS::Region', 'us-east-1');
      let result;
      try {
        result = validator.validateFile(file, { guessParameters: [] });
      } catch (e) {
        problems.push(`cfn-lint (CreateDatabase=${createDatabase}) gave up: ${e.message}`);
        continue;
      }
      for (const level of ['crit', 'warn'])
        for (const e of result.errors[level])
          problems.push(`cfn-lint ${level} (CreateDatabase=${createDatabase}) ${e.resource}: ${e.message}`);
      if (!result.templateValid && result.errors.crit.length === 0) problems.push(`cfn-lint (CreateDatabase=${createDatabase}): template not valid`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { problems: [...new Set(problems)], notes: [...new Set(notes)] };
}

export function checkTemplateText(text) {
  let tpl;
  try { tpl = parseTemplate(text); } catch (e) { return { errors: [`YAML: ${e.message.split('\n')[0]}`], notes: [] }; }
  const errors = [...checkSpec(tpl)];
  if (isObject(tpl)) errors.push(...checkLambenchRules(tpl));
  let notes = [];
  if (isObject(tpl) && isObject(tpl.Resources)) {
    const lint = runCfnLint(tpl, text);
    errors.push(...lint.problems);
    notes = lint.notes;
  }
  return { errors, notes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) { console.error('usage: check_template.mjs TEMPLATE.yaml'); process.exit(2); }
  const { errors, notes } = checkTemplateText(readFileSync(file, 'utf8'));
  for (const n of notes) console.log(`note: ${n}`);
  for (const e of errors) console.log(`error: ${e}`);
  console.log(`${file}: ${errors.length ? `${errors.length} error(s)` : 'ok'} against CloudFormation spec ${spec.ResourceSpecificationVersion} and cfn-lint`);
  process.exit(errors.length ? 1 : 0);
}
