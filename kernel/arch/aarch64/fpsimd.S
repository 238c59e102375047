/*
 * The FP/SIMD state of a thread (arch/context.h, struct arch_fpu): v0-v31,
 * FPSR and FPCR, stored and loaded when a context uses the registers while
 * another's state is in them (lazy switching, fpu.c, decision 151).
 * The kernel itself is built without FP/SIMD (-mgeneral-regs-only); this file
 * alone names the registers, so it enables the extension for the assembler.
 *
 * aarch64_fpu_store(ctx), aarch64_fpu_load(ctx): x0 is the context; C_FPU is
 * the offset of its fpu member (checked by a static assertion in arch/context.h).
 */
#define C_FPU 336

    .arch_extension fp
    .arch_extension simd
    .section .text
    .globl aarch64_fpu_store, aarch64_fpu_load
aarch64_fpu_store:
    add     x0, x0, #C_FPU
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    stp     q24, q25, [x0, #384]
    stp     q26, q27, [x0, #416]
    stp     q28, q29, [x0, #448]
    stp     q30, q31, [x0, #480]
    mrs     x1, fpsr
    mrs     x2, fpcr
    str     x1, [x0, #512]
    str     x2, [x0, #520]
    ret

aarch64_fpu_load:
    add     x0, x0, #C_FPU
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    ldp     q24, q25, [x0, #384]
    ldp     q26, q27, [x0, #416]
    ldp     q28, q29, [x0, #448]
    ldp     q30, q31, [x0, #480]
    ldr     x1, [x0, #512]
    ldr     x2, [x0, #520]
    msr     fpsr, x1
    msr     fpcr, x2
    ret
