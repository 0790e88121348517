"""Evidence commands: the audit log, legal holds, metadata corrections, retiring and purging, bundles."""

from __future__ import annotations

import click

from dms.cli.common import as_option, emit, home_option, json_option, open_archive
from dms.errors import IntegrityError, exit_code

# -- audit ---------------------------------------------------------------------------------------


@click.group("audit")
def audit_group():
    """The tamper-evident audit log: who did what, when, with before and after (`dms audit actions` lists what
    it records)."""


@audit_group.command("actions")
@json_option
def audit_actions(as_json):
    """Every action the audit log records (dms.auditactions), by what it is about, with its meaning."""
    from dms.auditactions import by_group

    data = {group: [{"action": a.name, "meaning": a.meaning} for a in actions] for group, actions in by_group().items()}

    def human(groups):
        for group, actions in groups.items():
            click.echo(f"{group}:")
            for a in actions:
                click.echo(f"  {a['action']:26} {a['meaning']}")

    emit(as_json, data, human)


@audit_group.command("verify")
@click.option("--head", "head_file", type=click.Path(dir_okay=False),
              help="A head statement noted earlier (`dms audit head`): the log must still hold that entry unchanged.")
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False),
              help="Check signatures with this public key (PEM or base64) rather than the data directory's copy.")
@home_option
@json_option
def audit_verify(head_file, public_key, settings, as_json):
    """Re-check the hash chain, the head and its signature; exit 4 and name what was edited, removed or added."""
    from dms import audit, signing

    key = signing.load_public(public_key) if public_key else None
    statement = audit.parse_statement(_read_text(head_file)) if head_file else None
    with open_archive(settings) as dms:
        result = audit.verify(dms.catalog, key, statement)

    def human(r):
        if r["ok"]:
            head = r["head"]
            click.echo(f"OK: {r['entries']} entries" + (f", head {head['id']} {head['hash']}" if head else "")
                       + (f", signed ({r['key']['fingerprint']})" if r["key"] and head else ""))
        for p in r["problems"]:
            click.echo(f"FAILED: {p}")
        for n in r["notes"]:
            click.echo(f"note: {n}")

    emit(as_json, result, human)
    if not result["ok"]:
        raise SystemExit(exit_code(IntegrityError()))


def _read_text(path: str) -> str:
    from dms.errors import UsageError

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(1 << 16)  # a statement is a few lines
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}") from None


@audit_group.command("head")
@home_option
@json_option
def audit_head(settings, as_json):
    """Print the signed head (entry count, last entry, hash, time, signature, key fingerprint) for custodians to
    keep or mail; `dms audit verify --head FILE` checks the log against it later."""
    from dms import audit

    with open_archive(settings) as dms:
        statement = audit.head_statement(dms.catalog)
    emit(as_json, statement, lambda s: click.echo(audit.statement_text(s), nl=False))


@audit_group.command("keygen")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the private key: outside the data directory (never overwritten; mode 0600).")
@home_option
@as_option
@json_option
def audit_keygen(output, settings, as_json):
    """Make the archive's audit key (Ed25519): it signs the audit head and bundles. Keeps the public key in the
    data directory, signs the current head, and prints the public key; then set DMS_AUDIT_KEY_FILE=OUTPUT."""
    from dms import audit

    with open_archive(settings) as dms:
        result = audit.keygen(dms.catalog, output, settings.user)

    def human(r):
        click.echo(f"wrote the audit key to {r['key_file']} (keep it off the data directory, back it up)\n"
                   f"public key ({r['fingerprint']}), also in {r['public_key_file']}:\n{r['public_key_pem']}"
                   f"now set DMS_AUDIT_KEY_FILE={r['key_file']}")

    emit(as_json, result, human)


@audit_group.command("show")
@click.argument("ref")
@home_option
@json_option
def audit_show(ref, settings, as_json):
    """The history of a document, change request (CR-…), matter:NAME or user:NAME, oldest first."""
    from dms import audit
    from dms.records import subject_for

    with open_archive(settings) as dms:
        subject = subject_for(dms, ref)
        entries = audit.history(dms.catalog, subject)

    def human(d):
        click.echo(f"{len(d['entries'])} entr{'y' if len(d['entries']) == 1 else 'ies'} about {d['subject']}")
        for e in d["entries"]:
            click.echo(f"{e['at']}  {e['user']:10} {e['action']:24} {e['subject']}  {_brief(e['details'])}")

    emit(as_json, {"subject": subject, "entries": entries}, human)


def _brief(details: dict) -> str:
    text = ", ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", {}, []))
    return text if len(text) <= 140 else text[:139] + "…"


# -- holds ---------------------------------------------------------------------------------------


@click.group("hold")
def hold_group():
    """Legal holds: matters whose documents cannot be retired, purged or edited until released."""


@hold_group.command("place")
@click.argument("name")
@click.option("--query", help="Hold what this search matches (evaluated whenever a hold is checked).")
@click.option("--trace", "trace_ref", help="Hold everything tied to this change request, product, party or document.")
@click.option("--document", "documents", multiple=True, help="A document (id, path, number; repeatable).")
@click.option("--product", "products", multiple=True, help="A product's documents (repeatable).")
@click.option("--change", "changes", multiple=True, help="A change request's documents (repeatable).")
@click.option("--description", default="")
@click.option("--custodian-notes", "custodian_notes", default="")
@home_option
@as_option
@json_option
def hold_place(name, query, trace_ref, documents, products, changes, description, custodian_notes, settings,
               as_json):
    """Place a legal hold (coordinator or above)."""
    from dms import holds

    with open_archive(settings) as dms:
        matter = holds.place(dms, name, settings.user, description, custodian_notes, query, trace_ref, documents,
                             products, changes)
        matter["documents"] = holds.documents(dms, name)
    emit(as_json, matter, lambda m: click.echo(f"hold {m['name']!r} placed: {len(m['documents'])} document(s)"))


@hold_group.command("release")
@click.argument("name")
@click.option("--reason", required=True)
@home_option
@as_option
@json_option
def hold_release(name, reason, settings, as_json):
    """Release a legal hold (manager or above); the matter and its release stay on record."""
    from dms import holds

    with open_archive(settings) as dms:
        matter = holds.release(dms, name, settings.user, reason)
    emit(as_json, matter, lambda m: click.echo(f"hold {m['name']!r} released by {m['released_by']}"))


@hold_group.command("list")
@home_option
@json_option
def hold_list(settings, as_json):
    """Every matter, active or released, with how many documents it holds now."""
    from dms import holds

    with open_archive(settings) as dms:
        rows = [{**m, "documents": len(holds.documents(dms, m["name"])) if not m["released_at"] else 0}
                for m in holds.listing(dms)]
    emit(as_json, {"total": len(rows), "matters": rows}, lambda d: [click.echo(
        f"{m['name']:24} {'released ' + m['released_at'][:10] if m['released_at'] else 'ACTIVE':20} "
        f"{m['documents']} document(s)  {m['description']}") for m in d["matters"]])


@hold_group.command("show")
@click.argument("name")
@home_option
@json_option
def hold_show(name, settings, as_json):
    """A matter: scope, notes, release, and the documents it holds now."""
    from dms import holds

    with open_archive(settings) as dms:
        matter = holds.get(dms, name)
        ids = holds.documents(dms, name)
        matter["documents"] = [{"id": i, "title": d.version.title or d.name, "path": d.path}
                               for i in ids for d in [dms.catalog.document(i)]]

    def human(m):
        click.echo(f"{m['name']}: {m['description']}\n  scope: {m['scope']}\n  placed by {m['created_by']} "
                   f"{m['created_at']}" + (f"; released by {m['released_by']} {m['released_at']}: "
                                           f"{m['release_reason']}" if m["released_at"] else ""))
        from dms.display import shown

        for d in m["documents"]:  # escaped: a newline in a file name must not forge a line
            click.echo(f"  [{d['id']}] {shown(d['title'])}  {shown(d['path'])}")

    emit(as_json, matter, human)


# -- records -------------------------------------------------------------------------------------


@click.command("edit")
@click.argument("ref")
@click.option("--reason", required=True, help="Why the metadata is corrected (kept in the audit log).")
@click.option("--title")
@click.option("--type", "doc_type")
@click.option("--date")
@click.option("--number")
@click.option("--revision")
@click.option("--product", "products", multiple=True)
@click.option("--party", "parties", multiple=True)
@home_option
@as_option
@json_option
def edit_command(ref, reason, title, doc_type, date, number, revision, products, parties, settings, as_json):
    """Correct a document's metadata (coordinator); refused under legal hold; before and after are audited."""
    from dms.records import edit

    with open_archive(settings) as dms:
        result = edit(dms, ref, settings.user, reason, title=title, type=doc_type, date=date, number=number,
                      revision=revision, products=list(products) or None, parties=list(parties) or None)
    emit(as_json, result, lambda r: click.echo(f"document {r['id']}: {r['before']} -> {r['after']}"))


def _record_command(name: str, doc: str):
    @click.command(name)
    @click.argument("ref")
    @click.option("--reason", required=True)
    @home_option
    @as_option
    @json_option
    def command(ref, reason, settings, as_json):
        from dms import records

        with open_archive(settings) as dms:
            result = getattr(records, name)(dms, ref, settings.user, reason)
        emit(as_json, result, lambda r: click.echo(f"document {r['id']}: {name.rstrip('e')}ed"))

    command.help = doc
    return command


retire_command = _record_command("retire", "Retire a document (soft delete: out of search and the graph, kept, "
                                           "restorable; coordinator). Refused under legal hold.")
restore_command = _record_command("restore", "Bring a retired document back into search and the graph.")
purge_command = _record_command("purge", "Delete a document's originals and text for good (admin), leaving a "
                                         "tombstone with its hashes. Refused under legal hold.")

# -- bundles -------------------------------------------------------------------------------------


@click.group("bundle")
def bundle_group():
    """Dispute bundles: originals under control numbers, manifests, text, chain of custody, verifiable."""


@bundle_group.command("create")
@click.argument("query", required=False)
@click.option("--trace", "trace_ref", help="Everything tied to this change request, product, party or document.")
@click.option("--matter", help="The documents a legal hold holds.")
@click.option("--as-of", "as_of", metavar="DATE", help="Only documents in force on DATE (YYYY-MM-DD).")
@click.option("--prefix", help="Control-number prefix (default $DMS_BATES_PREFIX or DMS).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .zip to write.")
@home_option
@as_option
@json_option
def bundle_create(query, trace_ref, matter, as_of, prefix, output, settings, as_json):
    """Make a bundle from QUERY, --trace REF or --matter NAME. The export is recorded in the audit log."""
    from dms import bundles

    with open_archive(settings) as dms:
        result = bundles.create(dms, output, settings.user, query, trace_ref, matter, as_of, prefix)
    emit(as_json, result, lambda r: click.echo(f"wrote {r['documents']} document(s), {r['first']} to {r['last']}, "
                                               f"to {r['output']} (SHA-256 {r['sha256']})"))


@bundle_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False),
              help="The archive's public key (PEM or base64): the bundle must be signed with it "
                   "(default: the key of DMS_AUDIT_KEY_FILE, if set).")
@json_option
def bundle_verify(path, public_key, as_json):
    """Re-check every file of a bundle against SHA256SUMS, its signature and the manifests, streaming each entry;
    exit 4 and name each mismatch, duplicate or unexpected entry, and each malformed part."""
    from dms import bundles
    from dms.config import load_settings

    settings = load_settings()
    key, source = bundles.pinned_key(settings, public_key)
    result = bundles.verify(path, key, settings.bundle_max_ratio)
    result["pinned_by"] = source

    def human(r):
        sig = r["signature"]
        signed = (f", signed by {sig['fingerprint']} (the key of {r['pinned_by']})"
                  if sig and sig["valid"] and sig["pinned"] else "")  # else a note: only the bundle's own key
        click.echo(("OK" if r["ok"] else "FAILED") + f": {r['checked']} files, {r.get('documents', 0)} documents"
                   + signed)
        for p in r["problems"]:
            click.echo(f"  {p}")
        for n in r["notes"]:
            click.echo(f"  note: {n}")

    emit(as_json, result, human)
    if not result["ok"]:
        raise SystemExit(exit_code(IntegrityError()))


COMMANDS = [bundle_group, audit_group, hold_group, edit_command, retire_command, restore_command, purge_command]


@click.command("retro")
@click.argument("product")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@home_option
@json_option
def retro_command(product, output, settings, as_json):
    """A product's retrospective: timeline, change requests with decision, lead time, cost and the returns and
    complaints before and after each took effect, and charts of the report figures (SVG, no JavaScript)."""
    from dms.retro import render

    with open_archive(settings) as dms:
        html, data = render(dms, product)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(html)
    data = {k: v for k, v in data.items() if k != "charts"} | {"output": output}

    def human(d):
        click.echo(f"{d['product']}: {len(d['events'])} events, {len(d['months'])} months of figures")
        for c in d["change_requests"]:
            effect = c["effect"] or {}
            change = effect.get("return_rate_change")
            click.echo(f"  {c['number']:14} {c['decision'] or c.get('state') or '':9} lead {c['lead_days']} d, "
                       f"cost {c['cost_once']}, return rate change {change if change is not None else '-'}")
        if d["output"]:
            click.echo(f"wrote {d['output']}")

    emit(as_json, data, human)


COMMANDS.append(retro_command)
