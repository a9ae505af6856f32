"""Ask scs-image-hook whether an image may be imported; refuse if not.

Glance runs this task in its import flow after the data is staged and
before it is written to a store. All the policy lives in the C binary:
this shim only hands it the image, the caller and the staged data's path
(origin verification reads and hashes it) and acts on the answer.

Glance skips a plugin silently when get_flow raises, so get_flow does
nothing that can fail; every check happens in execute, and anything that
stops a decision (binary or policy missing, a crash, a timeout, an answer
that is not a decision record) refuses the import: fail closed.

Staged data the binary verified as its vendor's file earns the image's
verification record (scs_image_hook_verified), bound to the digest Glance
computes when it stores these bytes; the shim writes it onto the image as
an admin, which Glance's property protections for the hook's namespace
(deploy/glance/property-protections.conf) allow and a user's request does
not.
"""

import json
import os
import subprocess

from oslo_config import cfg
from oslo_log import log as logging
from taskflow.patterns import linear_flow as lf
from taskflow import task
from taskflow.types import failure

from glance.async_.flows import api_image_import
from glance.common import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

DEFAULT_BINARY = '/usr/local/bin/scs-image-hook'
DEFAULT_CONFIG = '/etc/scs-image-hook/scs-image-hook.yaml'
RECORD_KEY = 'scs_image_hook_verified'
HASHES = ('sha256', 'sha512')   # what the binary computes; Glance's default is sha512

scs_image_hook_opts = [
    cfg.StrOpt('binary',
               help='Path of scs-image-hook. Unset: $SCS_IMAGE_HOOK_BIN, '
                    'else ' + DEFAULT_BINARY + '.'),
    cfg.StrOpt('config',
               help='The operator config (policy files, mode, exemptions, '
                    'import.download_uri). Unset: $SCS_IMAGE_HOOK_CONFIG, '
                    'else ' + DEFAULT_CONFIG + '.'),
    cfg.StrOpt('decision_log',
               help='File the decision records are appended to (check '
                    '--log). Unset: $SCS_IMAGE_HOOK_LOG, else only '
                    'glance-api\'s own log.'),
    cfg.IntOpt('timeout', default=30, min=1,
               help='Seconds a decision may take before the import is '
                    'refused. Verifying an origin hashes the staged data '
                    '(about 2-4 s per GiB): raise it for large images.'),
]
CONF.register_opts(scs_image_hook_opts, group='scs_image_hook')


class ImportRefused(exception.UploadException):
    """The import is refused; the text becomes the import task's message.

    An UploadException, because that is what Glance's task executor
    copies into the task message (anything else reads "Internal Error").
    """


def _setting(name, env, default=None):
    value = getattr(CONF.scs_image_hook, name)
    return value or os.environ.get(env) or default


def _image_document(image):
    """The image as Glance's API shows it: extra properties at the top."""
    doc = {k: v for k, v in dict(image.extra_properties).items()}
    doc.update(id=image.image_id, name=image.name, owner=image.owner,
               visibility=image.visibility, os_hidden=bool(image.os_hidden),
               status=image.status, disk_format=image.disk_format,
               container_format=image.container_format)
    return doc


def _messages(record):
    msgs = [v.get('message', v.get('rule', '?'))
            for v in record.get('violations', []) if not v.get('exempted')]
    return '; '.join(msgs) or 'denied by the policy'


class _CheckImage(task.Task):

    def __init__(self, task_id, task_type, context, image_repo,
                 action_wrapper, import_req):
        self.task_id = task_id
        self.context = context
        self.image_repo = image_repo
        self.action_wrapper = action_wrapper
        self.image_id = action_wrapper.image_id
        method = (import_req or {}).get('method') or {}
        self.import_method = method.get('name')
        self.uri = method.get('uri')
        super(_CheckImage, self).__init__(
            name='%s-ScsImageHook-%s' % (task_type, task_id))

    def _command(self, file_path=None):
        binary = _setting('binary', 'SCS_IMAGE_HOOK_BIN', DEFAULT_BINARY)
        config = _setting('config', 'SCS_IMAGE_HOOK_CONFIG', DEFAULT_CONFIG)
        log = _setting('decision_log', 'SCS_IMAGE_HOOK_LOG')
        ctx = self.context
        cmd = [binary, 'check', '--config', config, '--format', 'json',
               '--source', 'import']
        if self.import_method:
            cmd += ['--import-method', self.import_method]
        if self.import_method == 'web-download' and self.uri:
            cmd += ['--uri', self.uri]
        for flag, value in (('--project', ctx.project_id),
                            ('--user', ctx.user_id),
                            ('--request-id', getattr(ctx, 'request_id', None))):
            if value:
                cmd += [flag, value]
        if ctx.roles:
            cmd += ['--roles', ','.join(ctx.roles)]
        if log:
            cmd += ['--log', log]
        # The staged data (glance-direct, and what web-download and
        # glance-download fetched): an image whose image_source lies under
        # a vendor's origin must be that vendor's file (check --data).
        if file_path and file_path.startswith('file://'):
            cmd += ['--data', file_path[len('file://'):]]
            algo = getattr(CONF, 'hashing_algorithm', None)
            if algo in HASHES:
                cmd += ['--glance-hash', algo]
        return cmd + ['-']

    def _write_record(self, origin):
        """The verification record the staged bytes earned, written onto
        the image as an admin. A record that cannot be written leaves the
        image unverified (the proxy or audit verifies it later): logged,
        never fatal to an import whose bytes are the vendor's."""
        record = origin.get('record')
        if not record:
            return
        key = 'source_%ssum' % origin.get('algorithm')
        try:
            from glance import gateway
            repo = gateway.Gateway().get_repo(self.context.elevated())
            wrapper = api_image_import.ImportActionWrapper(repo, self.image_id,
                                                           self.task_id)
            with wrapper as action:
                action.set_image_extra_properties(
                    {RECORD_KEY: record, key: origin.get('expected')})
        except Exception as e:
            LOG.warning('scs-image-hook: image %(image)s: its data is the '
                        'vendor\'s, but the verification record was not '
                        'written: %(why)s', {'image': self.image_id, 'why': e})

    def _refuse(self, why):
        LOG.error('scs-image-hook: import of image %(image)s refused: %(why)s',
                  {'image': self.image_id, 'why': why})
        raise ImportRefused('scs-image-hook refused the import of image '
                            '%s: %s' % (self.image_id, why))

    def execute(self, file_path=None):
        try:
            cmd = self._command(file_path)
            doc = _image_document(self.image_repo.get(self.image_id))
            stdin = json.dumps(doc).encode('utf-8')
        except Exception as e:
            self._refuse('cannot prepare the check: %s' % e)
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True,
                                  timeout=CONF.scs_image_hook.timeout)
        except OSError as e:
            self._refuse('cannot run %s: %s' % (cmd[0], e.strerror or e))
        except Exception as e:
            # Under eventlet (Debian's glance-api) the green subprocess
            # raises a TimeoutExpired of another class than the stdlib's:
            # matched by name, and anything else still gives its reason.
            if type(e).__name__ == 'TimeoutExpired':
                self._refuse('%s gave no decision within %ss'
                             % (cmd[0], CONF.scs_image_hook.timeout))
            self._refuse('the check could not complete: %s: %s'
                         % (type(e).__name__, e))
        err = proc.stderr.decode('utf-8', 'replace').strip()
        if proc.returncode not in (0, 1):
            self._refuse('the check failed (exit %d): %s'
                         % (proc.returncode, err[-500:] or 'no message'))
        try:
            record = json.loads(proc.stdout.decode('utf-8').splitlines()[-1])
            decision = record['decision']
        except (ValueError, IndexError, KeyError, TypeError):
            self._refuse('the check gave no decision record (exit %d): %s'
                         % (proc.returncode, err[-500:] or 'no output'))
        if proc.returncode == 1 or decision not in ('allow', 'warn'):
            self._refuse('%s (decision %s)'
                         % (_messages(record), record.get('decision_id')))
        if (record.get('origin') or {}).get('verified'):
            self._write_record(record['origin'])
        if decision == 'warn':
            LOG.warning('scs-image-hook: image %(image)s imported with a '
                        'warning: %(why)s',
                        {'image': self.image_id, 'why': _messages(record)})

    def revert(self, file_path=None, result=None, **kwargs):
        """After our refusal of a glance-direct import: queued again, no
        importing stores, no staged data, so that the user can fix the
        properties, stage and import again. The download methods' own
        revert (which runs after ours) does the same for them, and fails
        if the image is queued already. A later task's failure is Glance's
        to undo."""
        if not isinstance(result, failure.Failure) or \
                self.import_method != 'glance-direct':
            return
        try:
            with self.action_wrapper as action:
                stores = action.image_extra_properties.get(
                    'os_glance_importing_to_stores', '')
                action.remove_importing_stores(stores.split(','))
                if action.image_status == 'importing':
                    action.set_image_attribute(status='queued')
        except Exception:
            LOG.exception('scs-image-hook: could not set image %s back to '
                          'queued', self.image_id)
        if file_path and file_path.startswith('file://'):
            try:
                os.unlink(file_path[len('file://'):])
            except FileNotFoundError:
                pass
            except OSError:
                LOG.exception('scs-image-hook: could not delete the staged '
                              'data of image %s', self.image_id)


def get_flow(**kwargs):
    """The flow Glance adds to its import: one task, decided in execute."""
    task_type = kwargs.get('task_type')
    return lf.Flow(task_type).add(
        _CheckImage(kwargs.get('task_id'), task_type, kwargs.get('context'),
                    kwargs.get('image_repo'), kwargs.get('action_wrapper'),
                    kwargs.get('import_req')))
