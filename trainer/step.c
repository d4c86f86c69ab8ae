/* step.c - the training step (contract in train.h): the update that train_run
 * applies after its data-parallel gradient, and the whole single-process step
 * that modelcheck runs for the PyTorch twin. */
#include "trainer/train.h"

double train_update(model *m, optimizer *o, const train_config *tc, long step, long total_steps,
                    double *lr_mult)
{
    /* clip first: the optimiser sees the clipped gradient */
    double gn = grad_clip(m, tc->grad_clip);
    double mult = lr_schedule(tc, step, total_steps);
    optim_step(o, m, mult);
    if (lr_mult) *lr_mult = mult;
    return gn;
}

int train_step(model *m, optimizer *o, const train_config *tc, const int32_t *in, const int32_t *tg, int B,
               int S, long step, long total_steps, float *loss, double *grad_norm, blalm_err *e)
{
    /* loss = mean CE(model(in), tg): in, tg [B, S] */
    if (model_forward(m, in, tg, B, S, loss, e) < 0) return -1;
    model_zero_grad(m);
    if (model_backward(m, e) < 0) return -1;
    double gn = train_update(m, o, tc, step, total_steps, NULL);
    if (grad_norm) *grad_norm = gn;
    return 0;
}
