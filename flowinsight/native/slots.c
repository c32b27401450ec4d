/* The records' fields read through their member descriptors, and the pointer-pair map of the
   aggregates (sweep.h). */

#include "sweep.h"

PyObject *sw_task_names[T_FIELDS], *sw_attempt_names[A_FIELDS];

/* Every descriptor learnt, kept alive here (a set: one entry per field of each class seen), so
   that a Slots may hold them borrowed even if Python code run meanwhile deleted them from their
   class. */
static PyObject *kept;

/* The member descriptors of the fields on `type`, when each field is one (found with
   PyObject_GetAttr on the type, a member descriptor of a class `type` derives from) and the
   type reads attributes the generic way: then the descriptor's getter answers what
   PyObject_GetAttr on a record would (a data descriptor comes before the instance's dict).
   Else every record goes through PyObject_GetAttr. */
void sw_slots_learn(Slots *s, PyTypeObject *type)
{
    s->type = (PyTypeObject *)1; /* matches no record */
    if (type->tp_getattro != PyObject_GenericGetAttr || !Py_IS_TYPE(type, &PyType_Type)) {
        return;
    }
    if (!kept && !(kept = PySet_New(NULL))) {
        PyErr_Clear();
        return;
    }
    for (int i = 0; i < s->n; i++) {
        PyObject *descr = PyObject_GetAttr((PyObject *)type, s->names[i]);
        if (!descr) {
            PyErr_Clear();
            return;
        }
        PyObject *owner = Py_IS_TYPE(descr, &PyMemberDescr_Type)
                              ? PyObject_GetAttrString(descr, "__objclass__") : NULL;
        int ok = owner && PyType_Check(owner)
                 && PyType_IsSubtype(type, (PyTypeObject *)owner) && PySet_Add(kept, descr) == 0;
        PyErr_Clear();
        Py_XDECREF(owner);
        Py_DECREF(descr); /* held by `kept` */
        if (!ok) {
            return;
        }
        s->descrs[i] = descr;
    }
    s->get = PyMemberDescr_Type.tp_descr_get;
    s->type = type;
}

static inline size_t mix(void *a, void *b)
{
    uint64_t h = (uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(uintptr_t)b * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)(h ^ (h >> 29));
}

Py_ssize_t sw_ptrmap_get(PtrMap *m, void *a, void *b)
{
    if (!m->cap) {
        return -1;
    }
    size_t mask = (size_t)m->cap - 1;
    for (size_t i = mix(a, b) & mask;; i = (i + 1) & mask) {
        if (m->values[i] < 0) {
            return -1;
        }
        if (m->keys[2 * i] == a && m->keys[2 * i + 1] == b) {
            return m->values[i];
        }
    }
}

static int grow(PtrMap *m)
{
    Py_ssize_t cap = m->cap ? m->cap * 2 : 64;
    void **keys = PyMem_Malloc((size_t)cap * 2 * sizeof(void *));
    Py_ssize_t *values = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    if (!keys || !values) {
        PyMem_Free(keys);
        PyMem_Free(values);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++) {
        values[i] = -1;
    }
    size_t mask = (size_t)cap - 1;
    for (Py_ssize_t j = 0; j < m->cap; j++) {
        if (m->values[j] < 0) {
            continue;
        }
        size_t i = mix(m->keys[2 * j], m->keys[2 * j + 1]) & mask;
        while (values[i] >= 0) {
            i = (i + 1) & mask;
        }
        keys[2 * i] = m->keys[2 * j];
        keys[2 * i + 1] = m->keys[2 * j + 1];
        values[i] = m->values[j];
    }
    PyMem_Free(m->keys);
    PyMem_Free(m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    return 0;
}

int sw_ptrmap_put(PtrMap *m, void *a, void *b, Py_ssize_t value)
{
    if (2 * (m->len + 1) > m->cap && grow(m) < 0) {
        return -1;
    }
    size_t mask = (size_t)m->cap - 1;
    size_t i = mix(a, b) & mask;
    while (m->values[i] >= 0) {
        if (m->keys[2 * i] == a && m->keys[2 * i + 1] == b) {
            m->values[i] = value;
            return 0;
        }
        i = (i + 1) & mask;
    }
    m->keys[2 * i] = a;
    m->keys[2 * i + 1] = b;
    m->values[i] = value;
    m->len++;
    return 0;
}

void sw_ptrmap_free(PtrMap *m)
{
    PyMem_Free(m->keys);
    PyMem_Free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->len = m->cap = 0;
}
