"""The ``access`` check kind: ask the API server whether a subject may do something.

It posts a SubjectAccessReview (what ``kubectl auth can-i --as`` does) and
compares the answer with the expected one. A service account is given its
groups, so bindings to ``system:serviceaccounts`` count as they would for real.

Example:
    >>> split_resource("deployments.apps"), split_resource("pods/log")
    (('apps', 'deployments', ''), ('', 'pods', 'log'))
"""

from __future__ import annotations

from typing import Any, Final

from kklab.grading.context import CheckContext
from kklab.grading.matching import Mismatch
from kklab.grading.results import Outcome
from kklab.grading.spec import AccessBody, with_namespace

REVIEWS_PATH: Final = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


def split_resource(resource: str) -> tuple[str, str, str]:
    """``resource.group/subresource`` into (group, resource, subresource)."""
    main, _, subresource = resource.partition("/")
    plural, _, group = main.partition(".")
    return group, plural, subresource


def subject_of(body: AccessBody, namespace: str) -> tuple[str, list[str]]:
    """User name and groups for the review.

    Example:
        >>> subject_of(AccessBody("list", "pods", True, service_account="reader"), "lab-09")[0]
        'system:serviceaccount:lab-09:reader'
    """
    groups = list(body.groups)
    if body.service_account is not None:
        account_namespace, _, name = body.service_account.rpartition(":")
        account_namespace = with_namespace(account_namespace, namespace) or namespace
        user = f"system:serviceaccount:{account_namespace}:{name}"
        groups += ["system:serviceaccounts", f"system:serviceaccounts:{account_namespace}"]
    else:
        user = with_namespace(body.user or "", namespace)
    return user, [*groups, "system:authenticated"]


def review(body: AccessBody, namespace: str) -> dict[str, Any]:
    """The SubjectAccessReview to post."""
    user, groups = subject_of(body, namespace)
    group, plural, subresource = split_resource(body.resource)
    attributes: dict[str, Any] = {"verb": body.verb, "group": group, "resource": plural}
    if subresource:
        attributes["subresource"] = subresource
    if body.name:
        attributes["name"] = body.name
    target_namespace = namespace if body.namespace is None else body.namespace
    if target_namespace:
        attributes["namespace"] = with_namespace(target_namespace, namespace)
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
    }


def run_access(context: CheckContext, body: AccessBody) -> Outcome:
    """Pass when the API server's answer is the expected one."""
    request = review(body, context.namespace)
    attributes = request["spec"]["resourceAttributes"]
    where = f" in {attributes['namespace']}" if "namespace" in attributes else " cluster-wide"
    name = f" {attributes['name']}" if "name" in attributes else ""
    subject = f"can {request['spec']['user']} {body.verb} {body.resource}{name}{where}?"
    answer = context.transport.request(
        "POST", REVIEWS_PATH, body=request, timeout_s=context.fetcher.request_timeout_s
    )
    status = answer.get("status", {}) if isinstance(answer, dict) else {}
    allowed = bool(status.get("allowed"))
    reason = str(status.get("reason") or status.get("evaluationError") or "")
    evidence = (f"API server: {reason}",) if reason else ()
    if allowed == body.allowed:
        return Outcome(True, "", subject, evidence=evidence)
    words = {True: "allowed", False: "denied"}
    mismatch = Mismatch("answer", words[body.allowed], words[allowed], "differs")
    return Outcome(False, "", subject, (mismatch,), evidence=evidence)
