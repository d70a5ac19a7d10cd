"""Terraform that is run, not only read: every root is applied for real against moto's
server (an AWS emulator on loopback), through the offline filesystem mirror of the AWS
provider, and then:

  init, validate, plan, apply, a second plan that must show no changes, a read-back
  through the AWS API of what the README promises, and destroy (with the documented
  steps for what is protected).

First, each module's `terraform test` suite (modules/*/tests/*.tftest.hcl) runs with a
mocked provider: module logic, refused inputs and computed names.

Roots: environments/account (applied first: the environments keep their state in its
bucket, through the real s3 backend with use_lockfile), environments/dev,
environments/prod, and "all options" (dev's wiring with authentication, CORS, API keys,
arm64 and alarms on). It runs a copy of the tree: the version constraint is relaxed to
the newest provider available offline (it says which), endpoints point at moto, and the
emulator's gaps are bridged, each said where it is done.

Usage: python3 tests/terraform/executed.py TASKS_API_ZIP
Prints why and exits 0 (skipped) when terraform, the provider mirror or moto is missing.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = "us-east-1"
ACCOUNT = "123456789012"
STATE_BUCKET = "tasks-api-tfstate-test"
ARTIFACT_BUCKET = f"tasks-api-artifacts-{ACCOUNT}-{REGION}"
NEEDED_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
SERVICES = ["acm", "apigateway", "codedeploy", "cloudwatch", "cloudwatchlogs", "cognitoidp", "dynamodb", "iam", "kms",
            "lambda", "route53", "s3", "servicequotas", "sns", "sts", "wafv2", "xray"]


def say(msg):
    print(f"terraform executed: {msg}", flush=True)


def find_mirror():
    """The filesystem mirror holding hashicorp/aws, and the newest version in it."""
    candidates = [os.environ.get("TF_PROVIDER_MIRROR", ""), "/opt/tf-plugins",
                  os.path.expanduser("~/.terraform.d/plugins"), "/usr/share/terraform/plugins",
                  "/usr/local/share/terraform/plugins"]
    for base in filter(None, candidates):
        versions = glob.glob(os.path.join(base, "registry.terraform.io/hashicorp/aws/*/linux_*"))
        if versions:
            newest = max((os.path.basename(os.path.dirname(v)) for v in versions),
                         key=lambda v: [int(x) for x in re.findall(r"\d+", v)])
            return base, newest
    return None, None


def missing_tools():
    missing = []
    if not shutil.which("terraform"):
        missing.append("terraform (no binary on PATH)")
    if not find_mirror()[0]:
        missing.append("a filesystem mirror of hashicorp/aws (looked in TF_PROVIDER_MIRROR, "
                       "/opt/tf-plugins, ~/.terraform.d/plugins, /usr/share/terraform/plugins)")
    if not shutil.which("aws"):
        missing.append("the AWS CLI (aws on PATH: scripts/release.sh publishes with it)")
    try:
        import moto.server  # noqa: F401
        import boto3  # noqa: F401
    except ImportError:
        missing.append(f"moto with its server and boto3 for {sys.executable}")
    return missing


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self):
        self.port = free_port()
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("moto's server did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def client(self, service):
        import boto3
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def bridge_modules(work):
    """The emulator's gaps in the modules, bridged once their terraform tests have run."""
    # gap 1: moto does not store a function's LoggingConfig, so every plan would show it
    write(os.path.join(work, "modules/lambda/zz_moto_override.tf"), """# This run only: moto does not store LoggingConfig.
resource "aws_lambda_function" "this" {
  lifecycle {
    ignore_changes = [logging_config]
  }
}
""")
    # gap 2: moto has neither composite alarms nor X-Ray sampling rules; their logic is
    # checked by modules/monitoring's terraform test and offline (validate.mjs)
    write(os.path.join(work, "modules/monitoring/zz_moto_override.tf"), """# This run only: no composite alarms in moto.
resource "aws_cloudwatch_composite_alarm" "burn_rate" {
  for_each = {}
}
""")
    # gap 5: moto's CodeDeploy answers timestamps as strings, which the provider cannot
    # read; the deployment group's logic is modules/deployment's terraform test and
    # validate.mjs. The test makes the same application and group through boto3 (which
    # reads them) so scripts/release.sh's shift runs against moto.
    write(os.path.join(work, "modules/deployment/zz_moto_override.tf"), """# This run only: no CodeDeploy through the provider.
resource "aws_codedeploy_app" "this" {
  count = 0
}

resource "aws_codedeploy_deployment_group" "this" {
  count    = 0
  app_name = var.function_name
}

output "application_name" {
  value = var.function_name
}

output "deployment_group_name" {
  value = var.function_name
}

output "deployment_config_name" {
  value = var.deployment_config_name
}
""")
    # gap 3: moto's Service Quotas knows no Lambda quota; the check's logic is
    # modules/tasks-api's terraform test (a quota of 10 stops prod's reservation)
    write(os.path.join(work, "modules/tasks-api/zz_moto_override.tf"), """# This run only: no Lambda quotas in moto.
data "aws_servicequotas_service_quota" "lambda_concurrency" {
  count = 0
}
""")
    write(os.path.join(work, "modules/api-gateway/zz_moto_override.tf"), """# This run only: no X-Ray sampling rules in moto.
resource "aws_xray_sampling_rule" "this" {
  count = 0
}
""")

    # gap 4: moto treats every Deny of a bucket policy as matching (conditions and
    # principals ignored), so the TLS-only Deny would refuse the backend over plain HTTP;
    # the real statement is checked offline by tests/terraform/validate.mjs
    write(os.path.join(work, "modules/private-bucket/zz_moto_override.tf"), """# This run only.
data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Allow"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::%s:root"]
    }
  }
}
""" % ACCOUNT)


def prepare_tree(work, moto, version):
    """A copy of modules/ and environments/ made to run against moto."""
    for d in ("modules", "environments"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(work, d), symlinks=False,
                        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "backend.hcl"))
    os.makedirs(os.path.join(work, "scripts"))
    shutil.copy2(os.path.join(ROOT, "scripts/release.sh"), os.path.join(work, "scripts/release.sh"))
    for vf in glob.glob(os.path.join(work, "*/*/versions.tf")):
        text = open(vf).read()
        write(vf, re.sub(r'version\s*=\s*"~> 6\.0"', f'version = ">= {version}"', text))
    endpoints = "\n".join(f'    {s} = "{moto.url}"' for s in SERVICES)
    provider = f"""# This run only: every AWS call goes to moto's server.
provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {{
{endpoints}
  }}
}}
"""
    for root in glob.glob(os.path.join(work, "environments/*")):
        write(os.path.join(root, "zz_moto_override.tf"), provider)
    # the all-options configuration: dev's root with every option on (its values in
    # main.tf, the deployer's in terraform.tfvars)
    allopt = os.path.join(work, "environments/all-options")
    shutil.copytree(os.path.join(work, "environments/dev"), allopt)
    main_tf = os.path.join(allopt, "main.tf")
    text = open(main_tf).read()
    for key, value in {"environment": '"opt"', "tracing_enabled": "true", "alarms_enabled": "true",
                       "auth": '"cognito"', "waf_enabled": "true"}.items():
        text, n = re.subn(r"^(\s*%s\s*=\s*)\S+.*$" % key, r"\g<1>%s" % value, text, count=1, flags=re.M)
        check(n == 1, f"all-options: no {key} in dev's main.tf")
    write(main_tf, text)
    # a custom domain: a certificate and a hosted zone made in the emulator first
    cert = moto.client("acm").request_certificate(DomainName="api.example.com")["CertificateArn"]
    zone = moto.client("route53").create_hosted_zone(Name="example.com", CallerReference="tapi")["HostedZone"]["Id"].split("/")[-1]
    write(os.path.join(allopt, "terraform.tfvars"), f"""cors_allowed_origins = ["https://app.example.com"]
api_key_required     = true
architecture         = "arm64"
domain_name          = "api.example.com"
certificate_arn      = "{cert}"
base_path            = "v1"
hosted_zone_id       = "{zone}"
""")


class Runner:
    def __init__(self, work, mirror):
        self.env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0",
                        TF_CLI_CONFIG_FILE=os.path.join(work, "cli.tfrc"),
                        TF_PLUGIN_CACHE_DIR="", CHECKPOINT_DISABLE="1")
        write(self.env["TF_CLI_CONFIG_FILE"], f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
""")

    def tf(self, root, *args, ok=(0,)):
        started = time.time()
        p = subprocess.run(["terraform", *args, "-no-color"], cwd=root, env=self.env,
                           capture_output=True, text=True)
        if p.returncode not in ok:
            sys.stdout.write(p.stdout[-6000:] + p.stderr[-6000:])
            raise AssertionError(f"terraform {args[0]} in {os.path.basename(root)} exited {p.returncode}")
        return p, time.time() - started


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def release(work, moto, run, *args, **extra):
    """scripts/release.sh for real: the AWS CLI and terraform against moto."""
    env = dict(run.env, AWS_ENDPOINT_URL=moto.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, PACKAGE="none", ARCH="", ARTIFACT="", VERSION="",
               RELEASE_WAIT_S="0")  # moto records a CodeDeploy deployment but never runs it
    env.update(extra)
    p = subprocess.run([os.path.join(work, "scripts/release.sh"), *args], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout[-4000:] + p.stderr[-4000:])
        raise AssertionError(f"release.sh {' '.join(args[:2])} exited {p.returncode}")
    return p


def recorded(work, env_name):
    return json.load(open(os.path.join(work, "environments", env_name, "release.auto.tfvars.json")))


def code_sha256(hex_digest):
    """Lambda's CodeSha256 (base64 of the digest) of an artifact named by its hex SHA-256."""
    import base64
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def version_code(moto, name, version):
    return moto.client("lambda").get_function(FunctionName=name, Qualifier=version)["Configuration"]["CodeSha256"]


def latest(moto, name):
    versions = moto.client("lambda").list_versions_by_function(FunctionName=name)["Versions"]
    return str(max(int(v["Version"]) for v in versions if v["Version"] != "$LATEST"))


def last_shift(moto, name):
    """The newest CodeDeploy deployment of the function: its AppSpec's current and target versions."""
    cd = moto.client("codedeploy")
    ids = cd.list_deployments(applicationName=name, deploymentGroupName=name)["deployments"]
    check(ids, f"{name}: no CodeDeploy deployment")
    infos = cd.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
    newest = max(infos, key=lambda d: d["createTime"])
    revision = cd.get_deployment(deploymentId=newest["deploymentId"])["deploymentInfo"]["revision"]
    props = json.loads(revision["appSpecContent"]["content"])["Resources"][0]["live"]["Properties"]
    return props["CurrentVersion"], props["TargetVersion"], len(ids)


def read_back_environment(moto, name, opts):
    """What the README promises, read through the AWS API."""
    ddb = moto.client("dynamodb")
    table = ddb.describe_table(TableName=name)["Table"]
    check([k["AttributeName"] for k in table["KeySchema"]] == ["id"], f"{name}: the table's key is id")
    gsis = {g["IndexName"]: [k["AttributeName"] for k in g["KeySchema"]] for g in table["GlobalSecondaryIndexes"]}
    check(gsis == {"by-created": ["shard", "sk"], "by-status": ["statusShard", "sk"]}, f"{name}: indexes {gsis}")
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    check(ttl.get("AttributeName") == "expiresAt" and ttl.get("TimeToLiveStatus") == "ENABLED", f"{name}: TTL {ttl}")
    pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    check(pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", f"{name}: PITR")

    lam = moto.client("lambda")
    fn = lam.get_function(FunctionName=name)["Configuration"]
    check(fn["Architectures"] == [opts.get("architecture", "x86_64")], f"{name}: architecture {fn['Architectures']}")
    check(fn["Runtime"] == "provided.al2023", f"{name}: runtime")
    alias = lam.get_alias(FunctionName=name, Name="live")
    role = fn["Role"].split("/")[-1]
    iam = moto.client("iam")
    actions = set()
    for pname in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role, PolicyName=pname)["PolicyDocument"]
        for st in doc["Statement"]:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            actions |= {a for a in acts if a.startswith("dynamodb:")}
            if any(a.startswith("dynamodb:") for a in acts):
                res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                check(all(r.startswith(table["TableArn"]) for r in res), f"{name}: DynamoDB access beyond the table: {res}")
    check(actions == NEEDED_ACTIONS, f"{name}: the role's DynamoDB actions are {sorted(actions)}")
    boundary = iam.get_role(RoleName=role)["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "")
    check(boundary == f"arn:aws:iam::{ACCOUNT}:policy/tasks-api-role-boundary", f"{name}: the role's boundary is {boundary!r}")

    apigw = moto.client("apigateway")
    api = next(a for a in apigw.get_rest_apis()["items"] if a["name"] == name)
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]}
    check({"/tasks", "/tasks/{id}"} <= set(resources), f"{name}: resources {sorted(resources)}")
    routes = {"/tasks": {"GET", "HEAD", "POST", "ANY"}, "/tasks/{id}": {"GET", "HEAD", "PATCH", "DELETE", "ANY"}}
    used_authorizers = set()
    for path, methods in routes.items():
        have = set(resources[path].get("resourceMethods", {}))
        check(methods <= have, f"{name}: {path} has methods {sorted(have)}")
        if opts.get("cors"):
            check("OPTIONS" in have, f"{name}: {path} has no CORS preflight")
        for m in methods:
            meth = apigw.get_method(restApiId=api["id"], resourceId=resources[path]["id"], httpMethod=m)
            integ = meth["methodIntegration"]
            check(integ["type"] == "AWS_PROXY" and integ["uri"].endswith(f"{alias['AliasArn']}/invocations"),
                  f"{name}: {m} {path} is not proxied to the live alias: {integ.get('uri')}")
            check(meth["authorizationType"] == ("COGNITO_USER_POOLS" if opts.get("auth") else "NONE"),
                  f"{name}: {m} {path} authorization {meth['authorizationType']}")
            check(meth.get("apiKeyRequired", False) == bool(opts.get("api_key")), f"{name}: {m} {path} API key")
            if meth.get("authorizerId"):
                used_authorizers.add(meth["authorizerId"])
    # every route uses the one Cognito authorizer of the environment's pool (moto has once
    # kept a second, unused one when the provider retried a create on a loaded machine:
    # what the routes use is what matters)
    authorizers = {a["id"]: a for a in apigw.get_authorizers(restApiId=api["id"])["items"]}
    check(len(used_authorizers) == (1 if opts.get("auth") else 0), f"{name}: the routes use {len(used_authorizers)} authorizers")
    for a in used_authorizers:
        check(a in authorizers and authorizers[a]["type"] == "COGNITO_USER_POOLS", f"{name}: the routes' authorizer {a} is not a Cognito one")

    check(api.get("disableExecuteApiEndpoint", False) == bool(opts.get("domain")), f"{name}: execute-api endpoint disabled: {api.get('disableExecuteApiEndpoint')}")
    if opts.get("domain"):
        dom = apigw.get_domain_name(domainName=opts["domain"])
        check(dom.get("securityPolicy") == "TLS_1_2", f"{name}: the domain's security policy is {dom.get('securityPolicy')}")
        maps = apigw.get_base_path_mappings(domainName=opts["domain"])["items"]
        check([(m["basePath"], m["restApiId"]) for m in maps] == [("v1", api["id"])], f"{name}: base path mappings {maps}")
        zones = moto.client("route53").list_hosted_zones()["HostedZones"]
        records = moto.client("route53").list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]
        check(any(r["Name"].rstrip(".") == opts["domain"] and r["Type"] == "A" and "AliasTarget" in r for r in records),
              f"{name}: no alias record for {opts['domain']}")
    stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/{api['id']}/stages/{apigw.get_stages(restApiId=api['id'])['item'][0]['stageName']}"
    acl = moto.client("wafv2").get_web_acl_for_resource(ResourceArn=stage_arn).get("WebACL")
    if opts.get("waf"):
        check(acl and acl["Name"] == f"{name}-waf", f"{name}: no web ACL on the stage")
        rules = {r["Name"]: r for r in acl["Rules"]}
        body = rules.get("body-too-large", {})
        check(body.get("Statement", {}).get("SizeConstraintStatement", {}).get("Size") == 65536 and
              body["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413, f"{name}: no 413 for bodies over 64 KiB: {body}")
        rate = rules.get("rate-per-ip", {})
        check(rate.get("Statement", {}).get("RateBasedStatement", {}).get("AggregateKeyType") == "IP" and
              rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429, f"{name}: no per-IP rate rule: {rate}")
    else:
        check(not acl, f"{name}: a web ACL with the WAF off")

    logs = moto.client("logs")
    groups = {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}
    check(f"/aws/lambda/{name}" in groups, f"{name}: no function log group")
    filters = logs.describe_metric_filters(logGroupName=f"/aws/lambda/{name}")["metricFilters"]
    spaces = {t["metricNamespace"] for f in filters for t in f["metricTransformations"]}
    if opts.get("alarms"):
        # its own: another environment's init failures must not page this one
        check(spaces == {f"TasksApi/{name}"}, f"{name}: init errors counted in {spaces}")
    else:
        check(filters == [], f"{name}: a metric filter nobody watches: {[f['filterName'] for f in filters]}")
    cw = moto.client("cloudwatch")
    alarms = [a for a in cw.describe_alarms()["MetricAlarms"] if a["AlarmName"].startswith(name)]
    sns = moto.client("sns")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if name in t["TopicArn"]]
    check(len(topics) == 1, f"{name}: alarm topics {topics}")
    # CloudWatch can publish to the encrypted topic only if the key's policy lets it
    key_id = sns.get_topic_attributes(TopicArn=topics[0])["Attributes"].get("KmsMasterKeyId", "")
    check(key_id and not key_id.startswith("alias/aws/"), f"{name}: the topic's key is {key_id!r}")
    kms = moto.client("kms")
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    cw_grants = {a for st in key_policy["Statement"] if st.get("Effect") == "Allow"
                 and "cloudwatch.amazonaws.com" in json.dumps(st.get("Principal", {}))
                 for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    check({"kms:Decrypt", "kms:GenerateDataKey*"} <= cw_grants, f"{name}: CloudWatch may not use the topic's key: {cw_grants}")
    check(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"], f"{name}: the topic's key does not rotate")
    if opts.get("alarms"):
        check(len(alarms) > 0, f"{name}: no alarms")
        by_name = {a["AlarmName"]: a for a in alarms}
        for a in alarms:
            if "-burn-" in a["AlarmName"]:
                # halves of a burn-rate window: its composite alarm notifies, not they
                check(not a["AlarmActions"], f"{name}: burn-rate half {a['AlarmName']} notifies by itself")
                continue
            check(a["AlarmActions"] and set(a["AlarmActions"]) <= set(topics), f"{name}: alarm {a['AlarmName']} notifies nobody")
        rate = by_name.get(f"{name}-api-error-rate")
        check(rate and {m["Id"] for m in rate["Metrics"]} == {"rate", "errors", "requests"}, f"{name}: no 5xx-share alarm")
        check({f"{name}-burn-{w}-{h}" for w in ("fast", "slow") for h in ("long", "short")} <= set(by_name), f"{name}: burn-rate halves missing")
        if opts.get("reserved"):
            conc = by_name.get(f"{name}-lambda-concurrency")
            check(conc and conc["Threshold"] == int(opts["reserved"] * 0.8), f"{name}: no concurrency alarm at 80% of {opts['reserved']}")
    else:
        check(alarms == [], f"{name}: alarms with alarms off: {[a['AlarmName'] for a in alarms]}")
    return len(alarms)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    missing = missing_tools()
    if missing:
        say("SKIPPED, missing: " + "; ".join(missing))
        return 0
    mirror, version = find_mirror()
    say(f"provider hashicorp/aws {version} from {mirror} (the newest available offline; the "
        f"project pins ~> 6.0, so this run relaxes the constraint in its copy)")
    zip_path = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="tapi-tf-")
    moto = Moto()
    try:
        prepare_tree(work, moto, version)
        run = Runner(work, mirror)
        total = time.time()

        # module logic first: terraform test with a mocked provider, no emulator needed
        for tests in sorted(glob.glob(os.path.join(work, "modules/*/tests"))):
            module = os.path.dirname(tests)
            run.tf(module, "init")
            p, took = run.tf(module, "test")
            summary = re.findall(r"(\d+) passed, (\d+) failed", p.stdout)
            check(summary and summary[-1][1] == "0", f"terraform test in {module}:\n{p.stdout[-3000:]}")
            say(f"modules/{os.path.basename(module)}: terraform test, {summary[-1][0]} runs passed (mock provider)")

        bridge_modules(work)
        account = os.path.join(work, "environments/account")
        avars = ["-var", f"region={REGION}", "-var", f"state_bucket_name={STATE_BUCKET}",
                 "-var", "github_repository=example/tasks-api"]
        run.tf(account, "init")
        run.tf(account, "validate")
        run.tf(account, "plan", *avars)
        run.tf(account, "apply", "-auto-approve", *avars)
        p, _ = run.tf(account, "plan", "-detailed-exitcode", *avars, ok=(0, 2))
        check(p.returncode == 0, "account: the plan after apply is not empty:\n" + p.stdout[-3000:])
        s3 = moto.client("s3")
        check(s3.get_bucket_versioning(Bucket=STATE_BUCKET).get("Status") == "Enabled", "state bucket versioning")
        check(s3.get_public_access_block(Bucket=STATE_BUCKET)["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
              "state bucket public access block")
        iam = moto.client("iam")
        policies = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
        want = {"tasks-api-role-boundary", "tasks-api-account-deployer", "tasks-api-deployer-dev", "tasks-api-deployer-prod"}
        check(want <= policies, f"account: policies {sorted(policies)}")
        # GitHub's OIDC: each deploy role trusts only its GitHub environment of this
        # repository, for STS, and is bounded by its own deployer policy
        check(any(p["Arn"].endswith("oidc-provider/token.actions.githubusercontent.com")
                  for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]), "account: no GitHub OIDC provider")
        for env_name in ("dev", "prod"):
            role = iam.get_role(RoleName=f"tasks-api-github-deploy-{env_name}")["Role"]
            trust = role["AssumeRolePolicyDocument"]
            trust = json.loads(trust) if isinstance(trust, str) else trust
            cond = trust["Statement"][0]["Condition"]["StringEquals"]
            check(cond == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                           "token.actions.githubusercontent.com:sub": f"repo:example/tasks-api:environment:{env_name}"},
                  f"account: deploy role {env_name} trusts {cond}")
            bound = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "")
            check(bound.endswith(f":policy/tasks-api-deployer-{env_name}"), f"account: deploy role {env_name} boundary {bound!r}")
            attached = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]]
            check(attached == [f"tasks-api-deployer-{env_name}"], f"account: deploy role {env_name} has {attached}")
        say("account: init, validate, plan, apply, no-change plan passed")

        # releases: one artifact per build, uploaded by scripts/release.sh to the region's
        # artifact bucket under its hash and recorded per environment. moto never runs the
        # code, so the arm64 artifact is the same bytes under the arm64 key.
        check(s3.get_bucket_versioning(Bucket=ARTIFACT_BUCKET).get("Status") == "Enabled", "artifact bucket versioning")
        os.makedirs(os.path.join(work, "build"))
        shutil.copy2(zip_path, os.path.join(work, "build/lambda.zip"))
        shutil.copy2(zip_path, os.path.join(work, "build/lambda-arm64.zip"))
        first = release(work, moto, run, "publish", "dev").stdout.split()[-1]
        release(work, moto, run, "publish", "prod")
        release(work, moto, run, "publish", "all-options", ARCH="arm64")
        check(recorded(work, "dev") == {"artifact_sha256": first, "architecture": "x86_64"}, f"dev records {recorded(work, 'dev')}")
        head = s3.head_object(Bucket=ARTIFACT_BUCKET, Key=f"tasks-api/lambda-x86_64/{first}.zip")
        check(head["ContentLength"] == os.path.getsize(zip_path), "the published artifact is not the zip")
        # a second build of dev, different bytes: the first becomes its rollback target
        with open(os.path.join(work, "build/lambda.zip"), "ab") as f:
            f.write(b"\0")
        second_build = release(work, moto, run, "publish", "dev").stdout.split()[-1]
        check(recorded(work, "dev")["previous_artifact_sha256"] == first, f"dev records {recorded(work, 'dev')}")
        shutil.rmtree(os.path.join(work, "build"))  # from here on, as in a fresh clone: no build/
        say("publish: artifacts uploaded under their hashes and recorded per environment; no build/ from here on")

        configs = [("dev", {}), ("prod", {"alarms": True, "auth": True, "reserved": 100, "waf": True, "canary": True}),
                   ("all-options", {"auth": True, "cors": True, "api_key": True, "architecture": "arm64", "alarms": True, "waf": True,
                                    "domain": "api.example.com"})]
        for env_name, opts in configs:
            root = os.path.join(work, "environments", env_name)
            write(os.path.join(root, "backend.hcl"), f"""bucket                      = "{STATE_BUCKET}"
key                         = "tasks-api/{env_name}.tfstate"
region                      = "{REGION}"
use_lockfile                = true
access_key                  = "testing"
secret_key                  = "testing"
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
use_path_style              = true
endpoints = {{ s3 = "{moto.url}", sts = "{moto.url}", iam = "{moto.url}" }}
""")
            evars = ["-var", f"region={REGION}"]
            started = time.time()
            run.tf(root, "init", "-backend-config=backend.hcl")
            run.tf(root, "validate")
            run.tf(root, "plan", *evars)
            run.tf(root, "apply", "-auto-approve", *evars)
            p, _ = run.tf(root, "plan", "-detailed-exitcode", *evars, ok=(0, 2))
            changes = re.findall(r"^  # (\S+).*$", p.stdout, re.M)
            check(p.returncode == 0, f"{env_name}: the plan after apply is not empty: {changes}")
            state = s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=f"tasks-api/{env_name}.tfstate")
            check(state.get("KeyCount", 0) >= 1, f"{env_name}: no state in the bucket")
            out = json.loads(run.tf(root, "output", "-json")[0].stdout)
            name = out["function_name"]["value"]
            if opts.get("domain"):
                check(out["api_invoke_url"]["value"] == f"https://{opts['domain']}/v1", f"{env_name}: api_invoke_url {out['api_invoke_url']['value']}")
            alarms = read_back_environment(moto, name, opts)
            lam = moto.client("lambda")
            alias_version = lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
            code = version_code(moto, name, alias_version)
            check(code == code_sha256(recorded(work, env_name)["artifact_sha256"]), f"{env_name}: live code {code} is not the recorded artifact")
            check(out["artifact"]["value"]["sha256"] == recorded(work, env_name)["artifact_sha256"], f"{env_name}: artifact output")
            if env_name == "dev":
                # the CodeDeploy application and group the module makes (gap 5), so that the
                # release script's shifts are recorded by moto (which never runs them)
                cd = moto.client("codedeploy")
                cd.create_application(applicationName=name, computePlatform="Lambda")
                cd.create_deployment_group(applicationName=name, deploymentGroupName=name,
                                           serviceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}-codedeploy",
                                           deploymentConfigName=out["deployment"]["value"]["config"],
                                           deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"})
                # promote what dev runs to prod (prod is applied next: it must run these bytes),
                # then roll dev back to the build before and forward again, all without build/
                release(work, moto, run, "promote", "dev", "prod")
                check(recorded(work, "prod")["artifact_sha256"] == second_build, f"prod records {recorded(work, 'prod')}")
                before = latest(moto, name)
                release(work, moto, run, "rollback", "dev", "-auto-approve", *evars)
                now = latest(moto, name)
                check(int(now) == int(before) + 1 and version_code(moto, name, now) == code_sha256(first),
                      f"dev: the rollback published version {now} with {version_code(moto, name, now)}")
                check(last_shift(moto, name)[:2] == (alias_version, now), f"dev: CodeDeploy shift {last_shift(moto, name)}")
                p, _ = run.tf(root, "plan", "-detailed-exitcode", *evars, ok=(0, 2))
                check(p.returncode == 0, "dev: the plan after a rollback is not empty (Terraform fights CodeDeploy over the alias?)")
                release(work, moto, run, "rollback", "dev", "-auto-approve", *evars)
                forward = latest(moto, name)
                check(version_code(moto, name, forward) == code_sha256(second_build) and last_shift(moto, name)[1] == forward,
                      "dev: rolling the rollback back")
                # moto never runs a shift, so live is still on version 1: name another one
                release(work, moto, run, "rollback", "dev", VERSION="2")
                check(last_shift(moto, name)[:2] == (alias_version, "2"), f"dev: rollback to a named version: {last_shift(moto, name)}")
                say("dev: promoted to prod's record; rolled back to the build before (a new version of its code, "
                    "shifted by CodeDeploy) and forward, and to a named version, without build/")
            # protected: the table refuses deletion until protection is turned off on purpose
            env_main = os.path.join(root, "main.tf")
            prot = re.search(r"^\s*deletion_protection_enabled\s*=\s*true", open(env_main).read(), re.M)
            if prot:
                p, _ = run.tf(root, "destroy", "-auto-approve", *evars, ok=(0, 1))
                check(p.returncode == 1, f"{env_name}: destroy went through a protected table")
                # the documented step: protection off in the environment's values, apply
                write(env_main, re.sub(r"(deletion_protection_enabled\s*=\s*)true", r"\g<1>false", open(env_main).read()))
                run.tf(root, "apply", "-auto-approve", *evars)
            if env_name == "dev":
                release(work, moto, run, "destroy", "dev", "-auto-approve", *evars)
            else:
                run.tf(root, "destroy", "-auto-approve", *evars)
            tables = moto.client("dynamodb").list_tables()["TableNames"]
            check(name not in tables, f"{env_name}: table left after destroy")
            say(f"{env_name}: init, validate, plan, apply, no-change plan, read-back ({alarms} alarms), "
                f"{'protected destroy refused, then ' if prot else ''}destroy passed in {time.time() - started:.0f} s")

        # a second region: an environment's plan there stops until that region's account
        # root is applied (the API Gateway setting is per region, its role global), then
        # passes; the further region's root makes no second state bucket
        second = "us-west-2"
        dev = os.path.join(work, "environments/dev")
        dvars = ["-var", f"region={second}"]
        p, _ = run.tf(dev, "plan", *dvars, ok=(0, 1))
        check(p.returncode == 1 and f"apigateway-cloudwatch-logs-{second}" in p.stdout + p.stderr,
              f"dev in {second}: the plan did not stop for the region's missing account settings")
        subprocess.run(["terraform", "workspace", "new", second], cwd=account, env=run.env, check=True, capture_output=True)
        svars = ["-var", f"region={second}", "-var", f"state_bucket_name={STATE_BUCKET}", "-var", "create_shared_resources=false"]
        run.tf(account, "apply", "-auto-approve", *svars)
        p, _ = run.tf(account, "plan", "-detailed-exitcode", *svars, ok=(0, 2))
        check(p.returncode == 0, f"account in {second}: the plan after apply is not empty:\n" + p.stdout[-3000:])
        import boto3
        setting = boto3.client("apigateway", endpoint_url=moto.url, region_name=second, aws_access_key_id="testing",
                               aws_secret_access_key="testing").get_account().get("cloudwatchRoleArn", "")
        check(setting.endswith(f":role/apigateway-cloudwatch-logs-{second}"), f"{second}: API Gateway's setting is {setting!r}")
        check(len(s3.list_buckets()["Buckets"]) == 3, f"{second}: buckets {[b['Name'] for b in s3.list_buckets()['Buckets']]}")
        p, _ = run.tf(dev, "plan", *dvars)
        say(f"account in a second region ({second}): dev's plan refused before, applied with no second state bucket "
            "(its own artifact bucket: Lambda reads code from its region), no-change plan, dev's plan passed after")

        # the documented steps for the account root's protected buckets: empty them, lift
        # prevent_destroy, destroy (each region's workspace)
        subprocess.run(["terraform", "workspace", "select", "default"], cwd=account, env=run.env, check=True, capture_output=True)
        for b in s3.list_buckets()["Buckets"]:
            versions = s3.list_object_versions(Bucket=b["Name"])
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
                s3.delete_object(Bucket=b["Name"], Key=v["Key"], VersionId=v["VersionId"])
        p, _ = run.tf(account, "destroy", "-auto-approve", *avars, ok=(0, 1))
        check(p.returncode == 1 and "prevent_destroy" in p.stdout + p.stderr, "account: the state bucket was not protected")
        bucket_tf = os.path.join(work, "modules/private-bucket/main.tf")
        write(bucket_tf, open(bucket_tf).read().replace("prevent_destroy = true", "prevent_destroy = false"))
        run.tf(account, "init")  # the module changed
        subprocess.run(["terraform", "workspace", "select", second], cwd=account, env=run.env, check=True, capture_output=True)
        run.tf(account, "destroy", "-auto-approve", *svars)
        subprocess.run(["terraform", "workspace", "select", "default"], cwd=account, env=run.env, check=True, capture_output=True)
        run.tf(account, "destroy", "-auto-approve", *avars)
        left = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        check(STATE_BUCKET not in left and ARTIFACT_BUCKET not in left, f"account: buckets left: {left}")
        say(f"account: protected destroy refused, then emptied, unprotected and destroyed; all roots in {time.time() - total:.0f} s")
        return 0
    except AssertionError as e:
        say(f"FAILED: {e}")
        return 1
    finally:
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
