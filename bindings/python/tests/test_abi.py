"""The ctypes mirrors against the library's own structs: any drift (a field
added, moved or retyped in symphony.h and not here) fails these tests."""
from __future__ import annotations

import ctypes
import unittest
from ctypes import Structure, c_size_t

import support  # noqa: F401  (finds the package and the library)

from symphony import Workflow, WorkflowError, _lib


def c_fields(lib: ctypes.CDLL, name: bytes) -> list:
    fields, i = [], 0
    while True:
        f = lib.sym_abi_field(name, i)
        if f is None:
            return fields
        fields.append(f.decode())
        i += 1


class Mirrors(unittest.TestCase):
    def setUp(self) -> None:
        self.lib = _lib.lib()

    def test_every_c_struct_has_a_mirror_and_every_mirror_a_c_struct(self) -> None:
        c_names, i = set(), 0
        while self.lib.sym_abi_struct(i) is not None:
            c_names.add(self.lib.sym_abi_struct(i).decode())
            i += 1
        self.assertEqual(len(c_names), 11)
        defined = {v for v in vars(_lib).values()
                   if isinstance(v, type) and issubclass(v, Structure) and v is not Structure}
        self.assertEqual(defined, set(_lib.MIRRORS), "every Structure in _lib is in MIRRORS")
        self.assertEqual({m._c_name_ for m in _lib.MIRRORS}, c_names)

    def test_every_size_and_offset_matches_c(self) -> None:
        for cls in _lib.MIRRORS:
            name = cls._c_name_.encode()
            with self.subTest(struct=cls._c_name_):
                self.assertEqual([f for f, _ in cls._fields_], c_fields(self.lib, name),
                                 "the same fields in the same order")
                self.assertEqual(ctypes.sizeof(cls), self.lib.sym_abi_sizeof(name, None))
                for fname, _ in cls._fields_:
                    f = getattr(cls, fname)
                    self.assertEqual(f.offset, self.lib.sym_abi_offsetof(name, fname.encode()),
                                     f"offset of {fname}")
                    self.assertEqual(f.size, self.lib.sym_abi_sizeof(name, fname.encode()),
                                     f"size of {fname}")
                want = cls._version_ if cls._version_ is not None else 1
                self.assertEqual(self.lib.sym_abi_version(name), want)

    def test_the_load_time_check_passes(self) -> None:
        self.assertEqual(_lib.check_abi(self.lib), [])

    def test_the_check_sees_drift(self) -> None:
        # The LoadOptions of 0.1.0, which lacked max_alias_nodes.
        class OldLoadOptions(Structure):
            _c_name_ = "sym_load_options"
            _version_ = 1
            _fields_ = [("version", ctypes.c_uint), ("max_file_bytes", c_size_t),
                        ("max_depth", c_size_t), ("max_nodes", c_size_t),
                        ("max_scalar_bytes", c_size_t), ("max_tasks", c_size_t),
                        ("max_matrix", c_size_t), ("max_errors", c_size_t)]

        problems = _lib.check_abi(self.lib, [OldLoadOptions])
        self.assertTrue(any("max_scalar_bytes" in p for p in problems), problems)
        self.assertTrue(any("bytes in C" in p for p in problems), problems)

    def test_unknown_names(self) -> None:
        self.assertEqual(self.lib.sym_abi_version(b"sym_nothing"), 0)
        self.assertEqual(self.lib.sym_abi_sizeof(b"sym_nothing", None), 0)
        self.assertEqual(self.lib.sym_abi_sizeof(b"sym_metrics", b"nothing"), 0)
        self.assertEqual(self.lib.sym_abi_offsetof(b"sym_metrics", b"nothing"), _lib.NO_INDEX)
        self.assertIsNone(self.lib.sym_abi_field(b"sym_nothing", 0))


class Versions(unittest.TestCase):
    def test_make_sets_the_version_and_the_defaults(self) -> None:
        o = _lib.make(_lib.LoadOptions)
        self.assertEqual(o.version, 1)
        self.assertEqual(o.max_file_bytes, 64 << 20)
        self.assertEqual(o.max_alias_nodes, 1000000)
        self.assertEqual(o.max_errors, 100)
        for cls in _lib.MIRRORS:
            if cls._version_ is not None and cls is not _lib.Event:
                self.assertEqual(_lib.make(cls).version, cls._version_)

    def test_an_unknown_version_is_refused_with_a_message(self) -> None:
        L = _lib.lib()
        text = b"symphony: 1\nname: v\ntasks:\n  a: { worker: w }\n"
        for version in (0, 2):
            o = _lib.make(_lib.LoadOptions)
            o.version = version
            out = ctypes.c_void_p()
            err = L.sym_error_new()
            try:
                rc = L.sym_workflow_load_buffer(text, len(text), b"v.yaml", ctypes.byref(o),
                                                ctypes.byref(out), err)
                self.assertEqual(rc, _lib.SYM_EINVAL)
                self.assertIsNone(out.value)
                msg = L.sym_error_message(err, 0).decode()
                self.assertIn(f"sym_load_options has version {version}", msg)
                self.assertIn("sym_load_options_init", msg)
            finally:
                L.sym_error_free(err)

    def test_init_writes_nothing_for_an_unknown_version(self) -> None:
        o = _lib.LoadOptions()
        ctypes.memset(ctypes.byref(o), 0xAB, ctypes.sizeof(o))
        before = bytes(o)
        self.assertEqual(_lib.lib().sym_load_options_init_version(ctypes.byref(o), 2),
                         _lib.SYM_EINVAL)
        self.assertEqual(bytes(o), before)

    def test_the_binding_passes_versioned_options(self) -> None:
        # Limits set from Python reach C through a versioned struct.
        with self.assertRaises(WorkflowError) as cm:
            Workflow.from_string("symphony: 1\nname: v\ntasks:\n  a: { worker: w }\n"
                                 "  b: { worker: w }\n", max_tasks=1)
        self.assertIn("max_tasks", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
