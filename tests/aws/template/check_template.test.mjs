// The template checker must pass deploy/aws/template.yaml and fail each deliberately broken
// variant of it with the right message. Run: node --test tests/aws/template/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTemplateText, checkSpec, parseTemplate, runCfnLint } from './check_template.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const templatePath = join(here, '..', '..', '..', 'deploy', 'aws', 'template.yaml');
const template = readFileSync(templatePath, 'utf8');

function broken(from, to) {
  assert.ok(template.includes(from), `the template no longer contains ${JSON.stringify(from)}`);
  return template.replace(from, to);
}

test('deploy/aws/template.yaml passes, naming what only cfnspec 117 knows', () => {
  const { errors, notes } = checkTemplateText(template);
  assert.deepEqual(errors, []);
  assert.ok(notes.some((n) => n.includes('ManageMasterUserPassword')), notes.join('\n'));
  assert.ok(notes.some((n) => n.includes('MasterUserSecret.SecretArn')), notes.join('\n'));
});

const cases = [
  ['unknown resource type', ['Type: AWS::RDS::DBInstance', 'Type: AWS::RDS::DBInstancex'], /unknown resource type AWS::RDS::DBInstancex/],
  ['misspelt property', ['StorageEncrypted: true', 'StorageEncryptd: true'], /has no property StorageEncryptd/],
  ['property newer than spec 117', ['MultiAZ: false', 'MultiAZ: false\n      DedicatedLogVolume: true'], /has no property DedicatedLogVolume/],
  ['integer property given a word', ['BackupRetentionPeriod: 0', 'BackupRetentionPeriod: none'], /BackupRetentionPeriod: expects Integer, got "none"/],
  ['boolean property given a list', ['DeletionProtection: false', 'DeletionProtection: [false]'], /DeletionProtection: expects Boolean, got list/],
  ['list property given a string', ['SubnetIds: !Ref SubnetIds', 'SubnetIds: !Ref VpcId'], /SubnetIds: expects a list, got string/],
  ['required property missing', ['      GroupDescription: lambench functions (outbound only)\n', ''], /requires property GroupDescription/],
  ['required sub-property missing', ['          IpProtocol: "-1"\n', ''], /Egress requires property IpProtocol/],
  ['unknown GetAtt attribute', ['!GetAtt Database.Endpoint.Address', '!GetAtt Database.Endpoint.Host'], /has no attribute Endpoint.Host/],
  ['Ref to nothing', ['DBSubnetGroupName: !Ref DbSubnetGroup', 'DBSubnetGroupName: !Ref DbSubnetGrp'], /Ref to unknown parameter or resource DbSubnetGrp/],
  ['Sub with an unknown variable', ['"${AWS::StackName}-functions"', '"${StackNam}-functions"'], /Ref to unknown parameter or resource StackNam/],
  ['unknown condition', ['Condition: WithDatabase\n    Properties:\n      DBSubnetGroupDescription', 'Condition: WithDb\n    Properties:\n      DBSubnetGroupDescription'], /unknown condition WithDb/],
  ['output of a conditional resource without its condition', ['    Condition: WithDatabase\n    Description: Host name', '    Description: Host name'], /DbEndpointAddress.Value: refers to Database, which exists only when WithDatabase holds/],
  ['default outside AllowedValues', ['Default: "16"', 'Default: "14"'], /Default "14" is not one of AllowedValues/],
  ['a password in the template', ['ManageMasterUserPassword: true', 'MasterUserPassword: hunter2hunter2'], /must not contain a password/],
  ['publicly accessible database', ['PubliclyAccessible: false', 'PubliclyAccessible: true'], /PubliclyAccessible must be false/],
  ['a final snapshot on delete', ['DeletionPolicy: Delete', 'DeletionPolicy: Snapshot'], /DeletionPolicy and UpdateReplacePolicy must be Delete/],
  ['database open to the world', ['SourceSecurityGroupId: !GetAtt FunctionSecurityGroup.GroupId', 'CidrIp: 0.0.0.0/0'], /ingress must come from a security group/],
  ['a resource without the stack tag', ['      Tags:\n        - Key: lambench:stack\n          Value: !Ref AWS::StackName\n\n  Database:', '\n  Database:'], /DbSubnetGroup: must be tagged lambench:stack/],
  ['an output deploy reads is missing', ['  DbSecretArn:\n', '  DbSecretArnX:\n'], /missing DbSecretArn/],
  ['YAML syntax error', ['Resources:\n', 'Resources:\n  - [\n'], /YAML:/],
];
for (const [name, [from, to], expected] of cases) {
  test(`broken template: ${name}`, () => {
    const { errors } = checkTemplateText(broken(from, to));
    assert.ok(errors.some((e) => expected.test(e)), `expected ${expected} among:\n${errors.join('\n')}`);
  });
}

test('cfn-lint itself catches what it should (a Ref to nothing)', () => {
  const text = broken('DBSubnetGroupName: !Ref DbSubnetGroup', 'DBSubnetGroupName: !Ref DbSubnetGrp');
  const { problems } = runCfnLint(parseTemplate(text), text);
  assert.ok(problems.some((p) => p.startsWith('cfn-lint crit') && p.includes('DbSubnetGrp')), problems.join('\n'));
});

test('garbage input gives errors, not exceptions', () => {
  for (const text of ['[]', '42', 'Resources: 5', 'Resources:\n  X: 5', 'Resources:\n  X:\n    Type: AWS::IAM::Role\n    Properties: [1]',
    'Resources:\n  X:\n    Type: AWS::IAM::Role\n    Properties:\n      Tags: !GetAtt', 'Outputs:\n  O: 1']) {
    const { errors } = checkTemplateText(text);
    assert.ok(errors.length > 0, text);
  }
  assert.ok(checkSpec(null).length > 0);
});
