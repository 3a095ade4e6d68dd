#!/usr/bin/python3
"""Decodes a `vgpu-run report --format perfetto` file with the classes
protoc generated from perfetto_subset.proto and checks its structure the
way trace_processor reads it: interned names resolve, every slice begins
and ends on a thread track whose descriptor names a process track, and
nothing decodes as an unknown field.  Prints one fact per line for the
test to compare.
    perfetto_check.py GEN_DIR TRACE"""
import collections
import sys

sys.path.insert(0, sys.argv[1])
import perfetto_subset_pb2 as pb  # noqa: E402

trace = pb.Trace()
trace.ParseFromString(open(sys.argv[2], 'rb').read())


def unknown(msg):
    """Fields the subset does not declare, anywhere in msg."""
    try:
        from google.protobuf import unknown_fields
        n = len(unknown_fields.UnknownFieldSet(msg))
    except ImportError:
        n = len(msg.UnknownFields())
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE:
            values = value if field.label == field.LABEL_REPEATED else [value]
            n += sum(unknown(v) for v in values)
    return n


interned = {'cat': {}, 'name': {}, 'key': {}}
tracks = {}
begins = collections.Counter()
ends = collections.Counter()
open_per_track = collections.Counter()
failed = []
bad = 0
cleared = False
for p in trace.packet:
    bad += unknown(p)
    if p.sequence_flags & 1:
        cleared = True
    if p.HasField('interned_data'):
        for kind, field in (('cat', 'event_categories'), ('name', 'event_names'),
                            ('key', 'debug_annotation_names')):
            for e in getattr(p.interned_data, field):
                if e.iid in interned[kind] and interned[kind][e.iid] != e.name:
                    bad += 1
                interned[kind][e.iid] = e.name
    if p.HasField('track_descriptor'):
        d = p.track_descriptor
        tracks[d.uuid] = d   # the last descriptor of a track wins
    if p.HasField('track_event'):
        ev = p.track_event
        if (p.sequence_flags & 2) and not cleared:
            bad += 1
        if ev.track_uuid not in tracks:
            bad += 1
        if ev.type == ev.TYPE_SLICE_BEGIN:
            name = interned['name'][ev.name_iid]
            cat = interned['cat'][ev.category_iids[0]]
            begins[(cat, name)] += 1
            open_per_track[ev.track_uuid] += 1
            args = {interned['key'][a.name_iid]: a.string_value
                    for a in ev.debug_annotations}
            if args.get('outcome') == 'error':
                failed.append('%s(%s) = %s' % (name, ', '.join(
                    '%s=%s' % (k, v) for k, v in args.items()
                    if k not in ('result', 'outcome')), args.get('result')))
        elif ev.type == ev.TYPE_SLICE_END:
            ends[ev.track_uuid] += 1
print('packets:', len(trace.packet))
print('unknown or inconsistent fields:', bad)
print('slices begun:', sum(begins.values()))
print('slices ended:', sum(ends.values()))
print('tracks with unbalanced slices:',
      sum(1 for t in open_per_track if open_per_track[t] != ends[t]))
threads = [d for d in tracks.values() if d.HasField('thread')]
procs = {d.uuid: d for d in tracks.values() if d.HasField('process')}
print('thread tracks:', len(threads))
print('thread tracks without a name:',
      sum(1 for d in threads if not d.thread.thread_name))
print('thread tracks without their process track:',
      sum(1 for d in threads if d.parent_uuid not in procs or
          procs[d.parent_uuid].process.pid != d.thread.pid))
print('process names:', ' '.join(sorted(
    '%d=%s' % (d.process.pid, d.process.process_name) for d in procs.values())))
for (cat, name), n in sorted(begins.items()):
    print('calls:', cat, name, n)
for f in failed:
    print('failed:', f)
