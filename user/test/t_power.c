/*
 * The Power cap (decision 184): the root task's, in slot WF_ROOT_POWER, a
 * root of the derivation tree whose copies are leaves; its methods refuse any
 * other cap. Off and Reset end the machine where the firmware has the call
 * (PSCI on aarch64, SBI SRST on riscv64), so the suite calls them only where
 * they must fail (x86-64, whose machine powers off through a port); the
 * ports' calls are tested by the system boots that type poweroff and reboot
 * into the shell (tests/system/aarch64-power.script, riscv64-power.script).
 */
#include "tarch.h"
#include "tutil.h"

#define ROOT WF_ROOT_CNODE

TEST(power, the_root_cap_copies_and_revoke)
{
    wf_cptr_t a = test_slot(0), b = test_slot(1);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_POWER), WF_OBJ_POWER);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, a, 64, ROOT, WF_ROOT_POWER, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, b, 64, ROOT, a, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(a), WF_OBJ_POWER);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), WF_OBJ_POWER);
    /* Copies are leaves: revoking one takes nothing; revoking the root's
     * original takes both, and the original stays. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, a, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), WF_OBJ_POWER);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, WF_ROOT_POWER, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(a), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_POWER), WF_OBJ_POWER);
}

TEST(power, methods_refuse_other_caps)
{
    static const wf_cptr_t others[] = {WF_ROOT_IOPORT, WF_ROOT_IRQ_CONTROL, WF_ROOT_TCB,
                                       WF_ROOT_NULL};
    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        enum wf_error off = wf_power_off(others[i]), reset = wf_power_reset(others[i]);
        TEST_ASSERT(off != WF_ERR_OK && reset != WF_ERR_OK, "cap %llu: %d %d",
                    (unsigned long long)others[i], (int)off, (int)reset);
    }
    /* A Power method's label on another object is no method of that object. */
    TEST_ASSERT_ERR(wf_power_off(WF_ROOT_IOPORT), WF_ERR_ILLEGAL_OPERATION);
    /* Another object's method on the Power cap is refused alike. */
    wf_word_t first, last;
    TEST_ASSERT_ERR(wf_ioport_describe(WF_ROOT_POWER, &first, &last), WF_ERR_ILLEGAL_OPERATION);
}

#if defined(__x86_64__)
/* No firmware call: both fail, and the machine runs on (this test reports). */
TEST(power, off_and_reset_fail_without_a_firmware_call)
{
    TEST_ASSERT_ERR(wf_power_off(WF_ROOT_POWER), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_power_reset(WF_ROOT_POWER), WF_ERR_ILLEGAL_OPERATION);
}
#endif
